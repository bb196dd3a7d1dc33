// train/plan: the plan printed before training names every block with its parameters,
// rate factor, BatchNorm mode and the epochs at which it changes; lrs.csv logs rates by
// block name.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <pipeline/all.hpp>

using namespace pipeline;

namespace {
bool has(std::string const& text, std::string const& part) {
    return text.find(part) != std::string::npos;
}
} // namespace

TEST_CASE("train/plan: every block, its factor, BatchNorm mode and phases") {
    torch::manual_seed(0);
    auto model = make_backbone<ResNet18>({1, 10});
    auto const& P = model_spec_of<
        ModelStage<ResNet18, Frozen<Stem, Layer1, Layer2>, Unfreeze<Layer2, AtEpoch<3>>,
                   LrScale<Head, 10.0>, FreezeRandomInit>>;
    transfer_controller transfer(P, *model);
    auto const text = format_plan("ResNet18", transfer.blocks(), 4, 5e-4, false);
    if (std::getenv("PIPELINE_SHOW_PLAN"))
        std::cout << text;
    auto const& b = transfer.blocks();
    std::int64_t all = 0, late = 0;
    for (auto const& blk : b)
        all += blk.count;
    late = all - b[0].count - b[1].count - b[2].count;
    CHECK(has(text, "plan: ResNet18 | " + pipeline::detail::thousands(all)
                        + " parameters in 6 blocks"));
    CHECK(has(text, "Stem"));
    CHECK(has(text, pipeline::detail::thousands(b[0].count)));
    CHECK(has(text, "frozen, unfreezes at epoch 3"));
    CHECK(has(text, "eval, train from epoch 3"));
    CHECK(has(text, "from epoch 1"));
    CHECK(has(text, "epochs 1-2: " + pipeline::detail::thousands(late)));
    CHECK(has(text, "epochs 3-4: " + pipeline::detail::thousands(late + b[2].count)));
    CHECK(has(text, "none on BatchNorm and bias parameters"));
    CHECK(has(text, "optimizer state"));
    std::istringstream lines(text);
    std::string line;
    int head_lines = 0;
    while (std::getline(lines, line))
        if (line.rfind("  Head", 0) == 0) {
            ++head_lines;
            CHECK(has(line, " 10 "));
        }
    CHECK(head_lines == 1);
    // A run shorter than the unfreeze epoch (--epochs) says the block stays frozen.
    auto const short_run = format_plan("ResNet18", transfer.blocks(), 2, 5e-4, true);
    CHECK(has(short_run, "frozen (unfreeze at 3 > last epoch)"));
    CHECK(has(short_run, "train (BatchNorm<TrainMode>)"));
    CHECK(has(short_run, "epochs 1-2: "));
}

// dsl/describe: the canonical printed form of pipelines.
#include <string>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

TEST_CASE("dsl/describe: defaults are filled in and printed as `<>`") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>;
    // clang-format on
    CHECK(describe(p)
          == "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy> | "
             "Optimizer<SGD<>> | Schedule<Cosine<>> | Train<>");
    CHECK(describe_as_written(p)
          == "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy>");
}

TEST_CASE(
    "dsl/describe: hyperparameters print as the designated initialisers that differ") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST, Subset<20000>, Split<0.1>>
                     | Model<ResNet50>
                     | Loss<SmoothedCE<0.1>>
                     | Optimizer<SGD<{.lr = 0.1, .momentum = 0.8, .nesterov = false}>>
                     | Schedule<Cosine<{.warmup_epochs = 2, .min_lr = 1e-5}>>
                     | Train<{.epochs = 30, .batch_size = 256}>;
    // clang-format on
    CHECK(
        describe(p)
        == "Load<FashionMNIST, Subset<20000>, Split<0.1>> | Model<ResNet50> | "
           "Loss<SmoothedCE<0.1>> | Optimizer<SGD<{.lr = 0.1, .momentum = 0.8, .nesterov = "
           "false}>> | Schedule<Cosine<{.warmup_epochs = 2, .min_lr = 0.00001}>> | "
           "Train<{.epochs = 30, .batch_size = 256}>");
}

TEST_CASE("dsl/describe: a value equal to its default is not printed") {
    // Writing the default explicitly is the same experiment, so it prints the same line.
    // clang-format off
    constexpr auto a = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Optimizer<SGD<{.lr = 0.05}>>;
    constexpr auto b = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>;
    // clang-format on
    CHECK(describe(a) == describe(b));
}

TEST_CASE("dsl/describe: other vocabulary") {
    CHECK(name_of<AdamW<{.lr = 3e-4, .weight_decay = 0.01}>>()
          == "AdamW<{.lr = 0.0003, .weight_decay = 0.01}>");
    CHECK(name_of<Constant>() == "Constant");
    CHECK(name_of<SmoothedCE<0.25>>() == "SmoothedCE<0.25>");
    CHECK(detail::format_number(5e-4) == "0.0005");
    CHECK(detail::format_number(3.0) == "3");
    CHECK(detail::format_number(1e-8) == "1e-8");
    CHECK(detail::format_number(2.5e20) == "2.5e20");
    CHECK(detail::format_number(0.1) == "0.1");
}

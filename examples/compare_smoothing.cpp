// One controlled change, judged over seeds: the quick start with and without label
// smoothing, each trained with the same seeds (--seeds, default 3), then a paired
// comparison of their validation and test accuracy and gap, with a 95% interval and a
// verdict (compare-<hashA>-<hashB>.md and .svg in --out-dir). `one_change` holds, so
// compare() compiles; change a second line and it does not.
//   build/examples/compare_smoothing --seeds 3 --epochs 2 --limit 6000
#include <pipeline/pipeline.hpp>

using namespace pipeline;

// [docs:compare]
// clang-format off
constexpr auto baseline = Load<FashionMNIST, Subset<30000>, Split<0.1>>
                        | Model<ResNet18>
                        | Loss<CrossEntropy>
                        | Train<{.epochs = 4}>;

constexpr auto smoothed = Load<FashionMNIST, Subset<30000>, Split<0.1>>
                        | Model<ResNet18>
                        | Loss<SmoothedCE<0.1>>
                        | Train<{.epochs = 4}>;
// clang-format on

static_assert(one_change<decltype(baseline), decltype(smoothed)>);

int main(int argc, char** argv) {
    return compare(baseline, smoothed, argc, argv);
}
// [docs:end]

// The seed's roadmap, one controlled change at a time, each step checked at compile time to
// be one change from the one before (roadmap() static_asserts one_change):
//   1. a linear probe: every block of the pretrained backbone frozen, the head trained
//      (a constant learning rate until step 5)
//   2. unfreeze the top block
//   3. label smoothing
//   4. MixUp
//   5. a cosine schedule
//   6. staged unfreezing: the next block down joins halfway through
// and, for reference, the recipe's data and loss on a ResNet-18 trained from scratch at
// the data's own 32x32 (no transfer). Each step runs over the same seeds (--seeds, default
// 3); the table says each step's mean ± std and whether its change exceeds seed noise.
//
// The backbone is the one alias `Backbone`; `blocks<Backbone>` names the blocks the steps
// freeze (ResNet-18's are below too). MobileNet v1 is the backbone whose ImageNet weights
// these machines have (../shared/data: the file lacks one tensor of the top block,
// blocks.4.1.conv_pw.weight, hence NonStrict: while the top block is frozen that layer
// keeps its random initialisation). Inputs are upsampled to 96x96, the smallest side at
// which MobileNet v1's ImageNet features still work (examples/mobilenet_probe: 73.9% for a
// linear probe at 96 against 10-30% below 64).
//
//   build/examples/roadmap --data-dir DIR --weights-dir ../shared/data --out-dir runs
//   build/examples/roadmap --list
// Measured results: docs/roadmap.md.
#include <pipeline/pipeline.hpp>

using namespace pipeline;

//! The blocks the roadmap freezes, per backbone: every block below the head, the same
//! without the top block, without the top two, and the block staged unfreezing releases.
template <class B>
struct blocks;

template <>
struct blocks<MobileNetV1> {
    using all = Frozen<Stem, Stage0, Stage1, Stage2, Stage3, Stage4>;
    using below_top = Frozen<Stem, Stage0, Stage1, Stage2, Stage3>;
    using next = Stage3;
};

template <>
struct blocks<ResNet18> {
    using all = Frozen<Stem, Layer1, Layer2, Layer3, Layer4>;
    using below_top = Frozen<Stem, Layer1, Layer2, Layer3>;
    using next = Layer3;
};

using Backbone = MobileNetV1;
using B = blocks<Backbone>;
constexpr int epochs = 4;

// clang-format off
constexpr auto probe = Load<CIFAR10, Subset<4000>, Split<0.1>>
                     | Augment<Resize<96>>
                     | Model<Backbone, Pretrained<ImageNet>, NonStrict, B::all>
                     | Loss<CrossEntropy>
                     | Optimizer<SGD, {.lr = 0.05}>
                     | Schedule<Constant>
                     | Train<{.epochs = epochs, .batch_size = 64}>;

constexpr auto unfreeze_top = Load<CIFAR10, Subset<4000>, Split<0.1>>
                            | Augment<Resize<96>>
                            | Model<Backbone, Pretrained<ImageNet>, NonStrict, B::below_top>
                            | Loss<CrossEntropy>
                            | Optimizer<SGD, {.lr = 0.05}>
                            | Schedule<Constant>
                            | Train<{.epochs = epochs, .batch_size = 64}>;

constexpr auto smoothing = Load<CIFAR10, Subset<4000>, Split<0.1>>
                         | Augment<Resize<96>>
                         | Model<Backbone, Pretrained<ImageNet>, NonStrict, B::below_top>
                         | Loss<SmoothedCE<0.1>>
                         | Optimizer<SGD, {.lr = 0.05}>
                         | Schedule<Constant>
                         | Train<{.epochs = epochs, .batch_size = 64}>;

constexpr auto mixup = Load<CIFAR10, Subset<4000>, Split<0.1>>
                     | Augment<Resize<96>>
                     | Augment<MixUp>
                     | Model<Backbone, Pretrained<ImageNet>, NonStrict, B::below_top>
                     | Loss<SmoothedCE<0.1>>
                     | Optimizer<SGD, {.lr = 0.05}>
                     | Schedule<Constant>
                     | Train<{.epochs = epochs, .batch_size = 64}>;

constexpr auto cosine = Load<CIFAR10, Subset<4000>, Split<0.1>>
                      | Augment<Resize<96>>
                      | Augment<MixUp>
                      | Model<Backbone, Pretrained<ImageNet>, NonStrict, B::below_top>
                      | Loss<SmoothedCE<0.1>>
                      | Optimizer<SGD, {.lr = 0.05}>
                      | Schedule<Cosine>
                      | Train<{.epochs = epochs, .batch_size = 64}>;

constexpr auto staged = Load<CIFAR10, Subset<4000>, Split<0.1>>
                      | Augment<Resize<96>>
                      | Augment<MixUp>
                      | Model<Backbone, Pretrained<ImageNet>, NonStrict, B::below_top, Unfreeze<B::next, AtEpoch<epochs / 2 + 1>>>
                      | Loss<SmoothedCE<0.1>>
                      | Optimizer<SGD, {.lr = 0.05}>
                      | Schedule<Cosine>
                      | Train<{.epochs = epochs, .batch_size = 64}>;

// No transfer: the same data (at its own 32x32), loss and schedule on a ResNet-18 from
// random weights, every block trained.
constexpr auto scratch = Load<CIFAR10, Subset<4000>, Split<0.1>>
                       | Augment<MixUp>
                       | Model<ResNet18>
                       | Loss<SmoothedCE<0.1>>
                       | Optimizer<SGD, {.lr = 0.05}>
                       | Schedule<Cosine>
                       | Train<{.epochs = epochs, .batch_size = 64}>;
// clang-format on

// [docs:roadmap-main]
int main(int argc, char** argv) {
    return roadmap(argc, argv, scratch, probe, unfreeze_top, smoothing, mixup, cosine,
                   staged);
}
// [docs:end]

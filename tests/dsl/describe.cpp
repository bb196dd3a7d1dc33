// dsl/describe: the canonical printed form of pipelines.
#include <string>
#include <type_traits>

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
             "Optimizer<SGD> | Schedule<Cosine> | Train<>");
    CHECK(describe_as_written(p)
          == "Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy>");
}

TEST_CASE(
    "dsl/describe: hyperparameters print as the designated initialisers that differ") {
    // clang-format off
    constexpr auto p = Load<FashionMNIST, Subset<20000>, Split<0.1>>
                     | Model<ResNet50>
                     | Loss<SmoothedCE<0.1>>
                     | Optimizer<SGD, {.lr = 0.1, .momentum = 0.8, .nesterov = false}>
                     | Schedule<Cosine, {.warmup_epochs = 2, .min_lr = 1e-5}>
                     | Train<{.epochs = 30, .batch_size = 256}>;
    // clang-format on
    CHECK(describe(p)
          == "Load<FashionMNIST, Subset<20000>, Split<0.1>> | Model<ResNet50> | "
             "Loss<SmoothedCE<0.1>> | Optimizer<SGD, {.lr = 0.1, .momentum = 0.8, "
             ".nesterov = "
             "false}> | Schedule<Cosine, {.warmup_epochs = 2, .min_lr = 0.00001}> | "
             "Train<{.epochs = 30, .batch_size = 256}>");
}

TEST_CASE("dsl/describe: a value equal to its default is not printed") {
    // Writing the default explicitly is the same experiment, so it prints the same line.
    // clang-format off
    constexpr auto a = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Optimizer<SGD, {.lr = 0.05}>;
    constexpr auto b = Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>;
    // clang-format on
    CHECK(describe(a) == describe(b));
}

TEST_CASE("dsl/describe: the mission's expression prints as written, plus the defaults") {
    // clang-format off
    constexpr auto experiment = Load<CIFAR10>
                              | Augment<MixUp>
                              | Model<ResNet18, Frozen<Stem, Layer1>>
                              | Loss<SmoothedCE<0.1>>
                              | Schedule<Cosine>;
    // clang-format on
    CHECK(describe_as_written(experiment)
          == "Load<CIFAR10> | Augment<MixUp> | Model<ResNet18, Frozen<Stem, Layer1>> | "
             "Loss<SmoothedCE<0.1>> | Schedule<Cosine>");
    // The defaults: the omitted Optimizer and Train, and the weights Frozen<...> implies.
    CHECK(describe(experiment)
          == "Load<CIFAR10> | Augment<MixUp> | "
             "Model<ResNet18, Pretrained<ImageNet>, Frozen<Stem, Layer1>> | "
             "Loss<SmoothedCE<0.1>> | Optimizer<SGD> | Schedule<Cosine> | Train<>");
}

TEST_CASE("dsl/describe: a tuned name prints as the stage's second argument") {
    // clang-format off
    constexpr auto p = Load<CIFAR10>
                     | Augment<MixUp, {.alpha = 0.2}>
                     | Model<ResNet18>
                     | Loss<SoftTargetCE>
                     | Optimizer<AdamW, {.lr = 3e-4}>
                     | Schedule<Cosine, {.warmup_epochs = 1}>;
    // clang-format on
    CHECK(describe(p)
          == "Load<CIFAR10> | Augment<MixUp, {.alpha = 0.2}> | Model<ResNet18> | "
             "Loss<SoftTargetCE> | Optimizer<AdamW, {.lr = 0.0003}> | "
             "Schedule<Cosine, {.warmup_epochs = 1}> | Train<>");
    // Every field at its default is the plain name, the same type as well.
    static_assert(
        std::is_same_v<decltype(Augment<MixUp, {.alpha = 0.4}>), decltype(Augment<MixUp>)>);
    static_assert(std::is_same_v<decltype(Schedule<Step, {}>), decltype(Schedule<Step>)>);
    CHECK(decltype(Augment<MixUp, {.alpha = 0.2, .smoothing = 0.1}>)::name()
          == "Augment<MixUp, {.alpha = 0.2, .smoothing = 0.1}>");
    CHECK(decltype(Augment<CutMix, {.alpha = 0.5}>)::name()
          == "Augment<CutMix, {.alpha = 0.5}>");
    CHECK(decltype(Augment<MixUpCutMix, {.switch_prob = 0.3}>)::name()
          == "Augment<MixUpCutMix, {.switch_prob = 0.3}>");
    CHECK(decltype(Schedule<OneCycle, {.pct_start = 0.25}>)::name()
          == "Schedule<OneCycle, {.pct_start = 0.25}>");
    CHECK(decltype(Schedule<Step, {.every_epochs = 3}>)::name()
          == "Schedule<Step, {.every_epochs = 3}>");
    CHECK(decltype(Optimizer<SGD, {.lr = 0.05}>)::name() == "Optimizer<SGD>");
    CHECK(decltype(Schedule<Constant>)::name() == "Schedule<Constant>");
}

TEST_CASE("dsl/describe: other vocabulary") {
    CHECK(name_of<AdamW::with<{.lr = 3e-4, .weight_decay = 0.01}>>()
          == "AdamW, {.lr = 0.0003, .weight_decay = 0.01}");
    CHECK(name_of<AdamW>() == "AdamW");
    CHECK(name_of<Constant>() == "Constant");
    CHECK(name_of<SmoothedCE<0.25>>() == "SmoothedCE<0.25>");
    CHECK(detail::format_number(5e-4) == "0.0005");
    CHECK(detail::format_number(3.0) == "3");
    CHECK(detail::format_number(1e-8) == "1e-8");
    CHECK(detail::format_number(2.5e20) == "2.5e20");
    CHECK(detail::format_number(0.1) == "0.1");
}

TEST_CASE("dsl/describe: a Model option that restates the default is not printed") {
    // BatchNorm<EvalMode> is what frozen blocks do anyway; HeadDropout<0.2> is MobileNet
    // v2/v3's own dropout (torchvision's). Both spellings are one experiment.
    // clang-format off
    constexpr auto written = Load<CIFAR10>
                           | Model<MobileNetV2, Frozen<Stem>, BatchNorm<EvalMode>, HeadDropout<0.2>>
                           | Loss<CrossEntropy>;
    constexpr auto plain = Load<CIFAR10>
                         | Model<MobileNetV2, Frozen<Stem>>
                         | Loss<CrossEntropy>;
    // clang-format on
    CHECK(describe(written) == describe(plain));
    CHECK(describe(written).find("HeadDropout") == std::string::npos);
    // A different dropout, or the opt-out, is a change and is printed.
    CHECK(decltype(Model<MobileNetV2, HeadDropout<0.3>>)::name()
          == "Model<MobileNetV2, HeadDropout<0.3>>");
    CHECK(decltype(Model<ResNet18, HeadDropout<0.2>>)::name()
          == "Model<ResNet18, HeadDropout<0.2>>");
    CHECK(decltype(Model<ResNet18, Frozen<Stem>, BatchNorm<TrainMode>>)::name()
          == "Model<ResNet18, Frozen<Stem>, BatchNorm<TrainMode>>");
}

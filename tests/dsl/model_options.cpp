// dsl/model_options: Pretrained, NonStrict, CifarStem, HeadDropout fold into plain
// settings; their rules hold positively and negatively; MobileNet tags list their blocks.
#include <string>
#include <type_traits>

#include <doctest/doctest.h>

#include <pipeline/dsl.hpp>

using namespace pipeline;

TEST_CASE("dsl/model_options: settings of Model<B, Options...>") {
    using plain = decltype(Model<ResNet18>)::settings;
    static_assert(!plain::pretrained && plain::strict && !plain::cifar_stem);
    static_assert(std::is_void_v<plain::source>);
    static_assert(!plain::has_head_dropout);

    using full = decltype(Model<ResNet18, CifarStem, Pretrained<ImageNet>, NonStrict,
                                HeadDropout<0.3>>)::settings;
    static_assert(full::pretrained && !full::strict && full::cifar_stem);
    static_assert(std::is_same_v<full::source, ImageNet>);
    static_assert(full::has_head_dropout && full::head_dropout == 0.3);

    using file = decltype(Model<MobileNetV1, Pretrained<File<"my.safetensors">>>)::settings;
    static_assert(file::source::path == "my.safetensors");
    CHECK(true);
}

TEST_CASE(
    "dsl/model_options: Frozen<...> without Pretrained<...> implies ImageNet weights") {
    using implied = decltype(Model<ResNet18, Frozen<Stem>>)::settings;
    static_assert(implied::implied_pretrained && implied::pretrained);
    static_assert(std::is_same_v<implied::source, ImageNet>);
    // An explicit source wins; FreezeRandomInit keeps the random initialisation.
    using file =
        decltype(Model<ResNet18, Frozen<Stem>, Pretrained<File<"w.pth">>>)::settings;
    static_assert(!file::implied_pretrained && file::source::path == "w.pth");
    using random = decltype(Model<ResNet18, Frozen<Stem>, FreezeRandomInit>)::settings;
    static_assert(!random::pretrained && std::is_void_v<random::source>);
    // The resolved pipeline writes the implied weights out, after the backbone, so it is
    // the same experiment, and prints the same, as the explicit spelling.
    // clang-format off
    constexpr auto implicit = Load<FashionMNIST>
                            | Model<ResNet18, Frozen<Stem>>
                            | Loss<CrossEntropy>;
    constexpr auto spelled = Load<FashionMNIST>
                           | Model<ResNet18, Pretrained<ImageNet>, Frozen<Stem>>
                           | Loss<CrossEntropy>;
    // clang-format on
    static_assert(std::is_same_v<resolved_t<std::remove_cvref_t<decltype(implicit)>>,
                                 resolved_t<std::remove_cvref_t<decltype(spelled)>>>);
    CHECK(describe(implicit) == describe(spelled));
    CHECK(describe_as_written(implicit).find("Pretrained") == std::string::npos);
    // NonStrict loosens the implied load too.
    static_assert(rules::non_strict_needs_pretrained<Frozen<Stem>, NonStrict>);
    static_assert(
        !rules::non_strict_needs_pretrained<Frozen<Stem>, FreezeRandomInit, NonStrict>);
}

TEST_CASE("dsl/model_options: rules") {
    static_assert(rules::cifar_stem_fits<ResNet50, CifarStem>);
    static_assert(!rules::cifar_stem_fits<MobileNetV2, CifarStem>);
    static_assert(rules::cifar_stem_fits<MobileNetV2, HeadDropout<0.1>>);
    static_assert(rules::non_strict_needs_pretrained<Pretrained<ImageNet>, NonStrict>);
    static_assert(!rules::non_strict_needs_pretrained<NonStrict>);
    static_assert(rules::non_strict_needs_pretrained<>);
    CHECK(true);
}

TEST_CASE("dsl/model_options: printed names") {
    // clang-format off
    auto p = Load<FashionMNIST>
           | Model<ResNet18, Pretrained<ImageNet>, CifarStem>
           | Loss<CrossEntropy>;
    // clang-format on
    CHECK(describe(p).find("Model<ResNet18, Pretrained<ImageNet>, CifarStem>")
          != std::string::npos);
    CHECK(name_of<Pretrained<File<"w.pth">>>() == "Pretrained<File<\"w.pth\">>");
    CHECK(name_of<HeadDropout<0.25>>() == "HeadDropout<0.25>");
    CHECK(name_of<MobileNetV3Large>() == "MobileNetV3Large");
}

TEST_CASE("dsl/model_options: MobileNets declare their blocks") {
    static_assert(MobileNetV1::has_block<Stage4> && !MobileNetV1::has_block<Stage5>);
    static_assert(!MobileNetV1::has_block<LastConv> && MobileNetV2::has_block<LastConv>);
    static_assert(MobileNetV2::has_block<Stage6> && !MobileNetV3Large::has_block<Stage6>);
    static_assert(
        MobileNetV3Small::has_block<Stage4> && !MobileNetV3Small::has_block<Stage5>);
    static_assert(!MobileNetV2::has_block<Layer1> && !ResNet18::has_block<Stage0>);
    static_assert(MobileNetV3Large::require_block<Head>());
    CHECK(MobileNetV2::parameter_prefixes("Stage3")
          == std::vector<std::string_view>{"features.7.", "features.8.", "features.9.",
                                           "features.10."});
    CHECK(MobileNetV1::parameter_prefixes("Stem")
          == std::vector<std::string_view>{"conv_stem.", "bn1."});
    CHECK(MobileNetV3Small::parameter_prefixes("Layer1").empty());
}

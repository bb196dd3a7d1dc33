// EXPECT: pipeline: ImageFolder<name, \{\.classes\}> needs the number of class folders
// Rule: an image folder's type fixes its class count, at least 2.
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
constexpr auto p = Load<ImageFolder<"photos", {.classes = 1}>>
                 | Model<ResNet18>
                 | Loss<CrossEntropy>;
// clang-format on

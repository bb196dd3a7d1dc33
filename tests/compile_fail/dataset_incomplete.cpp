// EXPECT: pipeline: this dataset tag lacks what a dataset declares
// A user's dataset tag without its sizes and statistics.
#include <pipeline/dsl.hpp>

using namespace pipeline;

struct MyPhotos : dataset_tag, named<"MyPhotos"> {
    static constexpr int classes = 5;
};

// clang-format off
constexpr auto experiment = Load<MyPhotos>
                          | Model<ResNet18>
                          | Loss<CrossEntropy>;
// clang-format on

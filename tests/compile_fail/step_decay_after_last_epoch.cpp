// EXPECT: pipeline: Schedule<Step, \{\.every_epochs\}> first decays after the
// Rule: a step schedule that never decays within the run is a constant rate that prints as
// a step decay (epochs count from 0: a run of 4 epochs has epochs 0..3, so every 4 never
// decays).
#include <pipeline/dsl.hpp>

using namespace pipeline;

// clang-format off
static_assert(validate(Load<FashionMNIST>
                     | Model<ResNet18>
                     | Loss<CrossEntropy>
                     | Schedule<Step, {.every_epochs = 4}>
                     | Train<{.epochs = 4}>));
// clang-format on

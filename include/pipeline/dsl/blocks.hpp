// The named blocks of backbones: the unit of every transfer-learning control (freezing,
// learning-rate scales, staged unfreezing). Each backbone tag lists the blocks it has;
// the mapping to parameter-name prefixes is the backbone's `parameter_prefixes`.
// Torch-free.
#pragma once

#include <pipeline/dsl/fixed_string.hpp>
#include <pipeline/dsl/tags.hpp>

namespace pipeline {

//! The input stem: for ResNets `conv1` and `bn1` (and the max-pool).
struct Stem : block_tag, named<"Stem"> {};
//! ResNet stages `layer1` .. `layer4`.
struct Layer1 : block_tag, named<"Layer1"> {};
struct Layer2 : block_tag, named<"Layer2"> {};
struct Layer3 : block_tag, named<"Layer3"> {};
struct Layer4 : block_tag, named<"Layer4"> {};
//! The classifier (`fc` for ResNets), always freshly initialised for the dataset.
struct Head : block_tag, named<"Head"> {};

//! MobileNet stages: StageS is timm's `blocks.S` (a run of blocks with the same output
//! channels); for torchvision's MobileNets, the `features.N` indices of the same blocks.
struct Stage0 : block_tag, named<"Stage0"> {};
struct Stage1 : block_tag, named<"Stage1"> {};
struct Stage2 : block_tag, named<"Stage2"> {};
struct Stage3 : block_tag, named<"Stage3"> {};
struct Stage4 : block_tag, named<"Stage4"> {};
struct Stage5 : block_tag, named<"Stage5"> {};
struct Stage6 : block_tag, named<"Stage6"> {};
//! The 1x1 convolution that widens MobileNet v2/v3 features before pooling.
struct LastConv : block_tag, named<"LastConv"> {};

} // namespace pipeline

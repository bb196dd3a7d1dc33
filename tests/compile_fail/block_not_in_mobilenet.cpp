// EXPECT: pipeline: the block named is not a block of this backbone
#include <pipeline/dsl.hpp>
using namespace pipeline;
static_assert(MobileNetV2::require_block<Layer1>());
int main() {}

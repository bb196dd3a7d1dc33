// pipeline::core: compiled once with PIPELINE_SEPARATE_COMPILATION (the target defines it
// for itself and for everything that links it), so the definitions below are the only
// ones a program linking pipeline::core has.
#include <pipeline/impl/predict.ipp>

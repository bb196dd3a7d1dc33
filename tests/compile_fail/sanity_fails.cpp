// EXPECT: sanity: the harness reads the first error
// Sanity: a file that must fail, so a harness that passes everything is caught.
#include <pipeline/dsl.hpp>

template <class T>
inline constexpr bool always_false = false;

static_assert(always_false<int>, "sanity: the harness reads the first error");

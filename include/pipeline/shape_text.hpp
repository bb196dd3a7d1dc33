// Tensor shapes as text for error messages: "[64, 3, 7, 7]", "[]" for a scalar.
#pragma once

#include <string>

#include <torch/torch.h>

namespace pipeline::detail {

inline std::string shape_text(torch::Tensor const& t) {
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

} // namespace pipeline::detail

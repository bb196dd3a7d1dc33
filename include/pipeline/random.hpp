// Independent random streams derived from (seed, stream name): adding or removing one
// stage does not change the randomness any other stage sees. Torch-free.
#pragma once

#include <cstdint>
#include <string_view>

namespace pipeline {

//! SplitMix64's finaliser: a bijection that spreads nearby seeds far apart.
constexpr std::uint64_t mix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

//! The seed of stream `stream` ("model", "shuffle", "split", an augmentation's name) for
//! run seed `seed`. FNV-1a of the name, mixed with the seed.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::string_view stream) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : stream) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    // Keep it below 2^63: some generators take a signed seed.
    return mix64(seed ^ mix64(h)) >> 1;
}

} // namespace pipeline

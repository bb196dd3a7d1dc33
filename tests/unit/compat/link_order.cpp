// compat/link_order: a program linked with the library uses the system's C++ standard
// library even where LibTorch exports a copy of it (PyTorch's 2.x wheels export parts of
// a statically linked libstdc++, pytorch/pytorch#133437; their std::filesystem::remove_all
// calls a function GCC 12's libstdc++ lacks, and crashed every test that cleaned a
// temporary directory).
#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <doctest/doctest.h>
#include <torch/torch.h>
#include <unistd.h>

namespace fs = std::filesystem;

TEST_CASE("compat/link_order: std::filesystem binds to libstdc++, not LibTorch's copy") {
    using remove_all_fn = std::uintmax_t (*)(fs::path const&, std::error_code&);
    auto const fn = static_cast<remove_all_fn>(&fs::remove_all);
    Dl_info info{};
    REQUIRE(dladdr(reinterpret_cast<void*>(fn), &info) != 0);
    REQUIRE(info.dli_fname != nullptr);
    CHECK_MESSAGE(std::string(info.dli_fname).find("libstdc++") != std::string::npos,
                  "std::filesystem::remove_all comes from " << std::string(info.dli_fname));

    // And it works: a nested directory is removed (LibTorch 2.11's copy crashed here).
    auto const root =
        fs::temp_directory_path() / ("pipeline-link-order-" + std::to_string(::getpid()));
    fs::create_directories(root / "a" / "b");
    std::ofstream(root / "a" / "b" / "file") << "x";
    std::error_code ec;
    CHECK(fs::remove_all(root, ec) == 4);
    CHECK_FALSE(ec);
    CHECK_FALSE(fs::exists(root));
    CHECK(torch::ones({2}).sum().item<float>() == 2.0f); // LibTorch is linked and runs
}

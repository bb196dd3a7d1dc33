// io/pth: what the .pth reader refuses, and how it says so. A pickle that calls anything
// but torch's tensor rebuilders is never run; the message names the global it would have
// called, so a user can tell a hostile file from an unsupported one.
#include <filesystem>
#include <string>

#include <caffe2/serialize/inline_container.h>
#include <doctest/doctest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <pipeline/error.hpp>
#include <pipeline/io/pth.hpp>

#include "../support.hpp"

using namespace pipeline;
using pipeline::testing::temp_dir;
namespace fs = std::filesystem;

namespace {
//! A torch.save-style zip archive whose data.pkl is `pickle`.
fs::path archive(fs::path const& path, std::string const& pickle) {
    caffe2::serialize::PyTorchStreamWriter writer(path.string());
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    writer.writeEndOfFile();
    return path;
}

//! Pickle opcodes: BINUNICODE of `text`, BINPUT `i`.
std::string unicode(std::string const& text) {
    std::string out = "X";
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>((text.size() >> (8 * i)) & 0xff);
    return out + text;
}
std::string binput(int i) {
    return std::string("q") + static_cast<char>(i);
}

std::string pth_error(fs::path const& p) {
    try {
        read_pth(p);
    } catch (pipeline::error const& e) {
        return e.what();
    }
    return "(no error)";
}

auto const not_made = "(not made: a state dict calls only torch's tensor rebuilders and "
                      "collections.OrderedDict, so this file is no state dict and may be "
                      "hostile)";
} // namespace

TEST_CASE("io/pth: a refused pickle names the global it would have called") {
    using namespace std::string_literals;
    temp_dir dir;
    auto const marker = dir.path / "ran";
    auto const call = unicode("touch " + marker.string()) + "\x85"s + "R"; // f((arg,))

    SUBCASE("os.system as the whole pickle (protocol 2, GLOBAL + REDUCE)") {
        auto const p = archive(dir.path / "evil.pth",
                               "\x80\x02"s + "cposix\nsystem\n" + binput(0) + call + ".");
        CHECK(pth_error(p)
              == p.string()
                     + ": expected a state dict (save model.state_dict(), not the model), "
                       "found a call to posix.system "
                     + not_made);
    }
    SUBCASE("os.system as a value inside a state dict") {
        auto const p = archive(dir.path / "evil.pth",
                               "\x80\x02"s + "}" + binput(0) + "(" + unicode("a")
                                   + "cposix\nsystem\n" + call + "u.");
        CHECK(pth_error(p)
              == p.string()
                     + ": entry 'a': expected a tensor, found a call to posix.system "
                     + not_made);
    }
    SUBCASE("STACK_GLOBAL (protocol 4), which torch.save never writes") {
        auto const p = archive(dir.path / "evil.pth", "\x80\x04"s + "\x8c\x05"s + "posix"
                                                          + "\x94"s + "\x8c\x06"s + "system"
                                                          + "\x94\x93"s + call + ".");
        CHECK(pth_error(p).find("found opcode 0x93 (STACK_GLOBAL posix.system, not loaded)")
              != std::string::npos);
    }
    SUBCASE("a whole pickled model (NEWOBJ) names its class") {
        auto const p = archive(dir.path / "model.pth",
                               "\x80\x02"s + "ctorchvision.models.resnet\nResNet\n"
                                   + binput(0) + ")" + "\x81"s + binput(1) + ".");
        CHECK(pth_error(p).find("found opcode 0x81 (after the global "
                                "torchvision.models.resnet.ResNet, not called)")
              != std::string::npos);
    }
    CHECK_FALSE(fs::exists(marker)); // nothing was run
}

TEST_CASE("io/pth: deep nesting is refused or freed without recursion, never a crash") {
    using namespace std::string_literals;
    temp_dir dir;
    SUBCASE("a million lists nested on the stack (2 MB): refused at the depth bound") {
        // ] x 1,000,000 then APPEND x 999,999: each list goes into the one below it. Once
        // built whole, its recursive destructor overflowed the stack (SIGSEGV).
        auto const p =
            archive(dir.path / "deep.pth", "\x80\x02"s + std::string(1'000'000, ']')
                                               + std::string(999'999, 'a') + ".");
        auto const message = pth_error(p);
        CHECK(message.find("expected a state dict nested at most 100 deep, found a list "
                           "nested 100 deep, inside one more")
              != std::string::npos);
    }
    SUBCASE("a million lists chained through the memo: built, refused, freed in a loop") {
        // Each new list is appended to the previous one after that one was already placed,
        // so the depth the unpickler counts stays 2 while the chain is 1,000,001 deep:
        // BINGET tail, EMPTY_LIST, BINPUT as the new tail, APPEND, BUILD (pops the old
        // tail).
        std::string chain;
        chain.reserve(6'000'000);
        chain += "\x80\x02"s + "]" + binput(0);
        for (int i = 0; i < 1'000'000; ++i)
            chain += "h\x00"s + "]" + binput(0) + "ab";
        auto const p = archive(dir.path / "chain.pth", chain + ".");
        CHECK(pth_error(p).find("found a list") != std::string::npos);
    }
}

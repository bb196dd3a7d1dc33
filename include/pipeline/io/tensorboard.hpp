// TensorBoard's event file, scalars only: what `tensorboard --logdir runs` reads to show
// every run's curves side by side. A file is a sequence of records (TFRecord framing: the
// length as 8 little-endian bytes, its masked CRC-32C, the data, the data's masked
// CRC-32C), each record one `tensorflow.Event` protocol buffer; the first carries the
// file version, every other a step, a wall time and a `Summary` of tagged float values.
//
// The three messages are encoded here by hand (six fields, the protocol buffer wire
// format's varints, fixed-width numbers and length-delimited strings) rather than through
// libprotobuf: its runtime would be one more library to link in both LibTorch legs and its
// code generator one more build step, for a format that has not changed since 2016. The
// test is TensorBoard's own reader (tests/record/event_file_check.py). Torch-free.
#pragma once

#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include <pipeline/error.hpp>
#include <pipeline/io/crc32c.hpp>

namespace pipeline {

namespace tensorboard {

//! Protocol buffer wire format: the pieces an Event needs.
namespace wire {

inline void varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

//! A field's key: its number and wire type (0 varint, 1 fixed64, 2 length-delimited,
//! 5 fixed32).
inline void key(std::string& out, std::uint32_t field, std::uint32_t type) {
    varint(out, (static_cast<std::uint64_t>(field) << 3) | type);
}

template <class T>
void little_endian(std::string& out, T value) {
    static_assert(std::endian::native == std::endian::little,
                  "pipeline: the TensorBoard writer assumes a little-endian machine");
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

inline void bytes(std::string& out, std::uint32_t field, std::string_view value) {
    key(out, field, 2);
    varint(out, value.size());
    out += value;
}

} // namespace wire

//! One scalar of a step: its tag ("val/acc") and value.
struct scalar {
    std::string tag;
    double value = 0.0;
};

//! The bytes of a `tensorflow.Event` (wall_time = 1, step = 2, file_version = 3,
//! summary = 5) holding `Summary { repeated Value { tag = 1, simple_value = 2 } }`.
inline std::string scalars_event(double wall_time, std::int64_t step,
                                 std::span<scalar const> values) {
    std::string summary;
    for (auto const& v : values) {
        std::string value;
        wire::bytes(value, 1, v.tag);
        wire::key(value, 2, 5);
        wire::little_endian(value, static_cast<float>(v.value));
        wire::bytes(summary, 1, value);
    }
    std::string event;
    wire::key(event, 1, 1);
    wire::little_endian(event, wall_time);
    wire::key(event, 2, 0);
    wire::varint(event, static_cast<std::uint64_t>(step));
    wire::bytes(event, 5, summary);
    return event;
}

//! The first event of every file: its format version.
inline std::string version_event(double wall_time) {
    std::string event;
    wire::key(event, 1, 1);
    wire::little_endian(event, wall_time);
    wire::bytes(event, 3, "brain.Event:2");
    return event;
}

//! `data` framed as one record.
inline std::string record(std::string_view data) {
    std::string out;
    wire::little_endian(out, static_cast<std::uint64_t>(data.size()));
    wire::little_endian(out, masked_crc32c(crc32c(std::string_view(out))));
    out += data;
    wire::little_endian(out, masked_crc32c(crc32c(data)));
    return out;
}

//! Seconds since the epoch, as TensorBoard's wall times are.
inline double wall_time() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace tensorboard

//! An event file in `dir`, named as TensorBoard's writers name theirs
//! (`events.out.tfevents.<seconds>.<host>.<pid>.pipeline`). Records are appended and
//! flushed as they are written, so the events of every finished epoch are on disk if the
//! run dies; a record cut short by a crash is one TensorBoard's reader stops before.
class event_file {
public:
    explicit event_file(std::filesystem::path const& dir) {
        char host[256] = "localhost";
        if (gethostname(host, sizeof host - 1) != 0)
            host[0] = '\0';
        path_ = dir
                / fmt::format("events.out.tfevents.{:010d}.{}.{}.pipeline",
                              static_cast<long long>(tensorboard::wall_time()), host,
                              static_cast<long>(getpid()));
        file_.reset(std::fopen(path_.c_str(), "ab"));
        if (!file_)
            throw error(path_.string(), "a TensorBoard event file that can be written",
                        "it cannot be opened for writing");
        write(tensorboard::version_event(tensorboard::wall_time()));
    }

    [[nodiscard]] std::filesystem::path const& path() const { return path_; }

    //! Appends one step's scalars.
    void add(std::int64_t step, std::span<tensorboard::scalar const> values,
             double wall_time = tensorboard::wall_time()) {
        write(tensorboard::scalars_event(wall_time, step, values));
    }

private:
    void write(std::string const& event) {
        auto const framed = tensorboard::record(event);
        if (std::fwrite(framed.data(), 1, framed.size(), file_.get()) != framed.size()
            || std::fflush(file_.get()) != 0)
            throw error(path_.string(), "a TensorBoard event file that can be written",
                        "a write failed (is the disk full?)");
    }

    struct closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::filesystem::path path_;
    std::unique_ptr<std::FILE, closer> file_;
};

} // namespace pipeline

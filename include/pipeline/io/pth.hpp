// torchvision-style `.pth` state dicts, saved by `torch.save(model.state_dict(), path)` in
// the zip format (PyTorch >= 1.6). The zip is read with LibTorch's PyTorchStreamReader;
// `data.pkl` with a small unpickler of exactly what torch.save writes for a state dict
// (LibTorch 1.13's own pickle_load returns None for an OrderedDict carrying `_metadata`,
// which every state_dict() does). A legacy (non-zip) file is refused with the one-line
// command that re-saves it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <pipeline/error.hpp>
#include <pipeline/io/safetensors.hpp>

namespace pipeline {

//! The line that turns a legacy `.pth` into the zip format (PyTorch's default since 1.6).
inline std::string pth_resave_command(std::filesystem::path const& path) {
    return "python3 -c \"import torch; torch.save(torch.load('" + path.string()
           + "', map_location='cpu'), '" + path.string() + "')\"";
}

namespace pth {

struct value;
using value_ptr = std::shared_ptr<value>;

//! The pickle values a state dict is made of.
struct value {
    struct none {};
    struct mark {};
    struct global {
        std::string module, name;
    };
    struct tuple {
        std::vector<value_ptr> items;
    };
    struct list {
        std::vector<value_ptr> items;
    };
    struct dict {
        std::vector<std::pair<value_ptr, value_ptr>> items;
    };
    //! A call the unpickler does not model and never makes (its result is never a
    //! tensor); `what` names the callable, e.g. "posix.system".
    struct opaque {
        std::string what;
    };
    std::variant<none, mark, bool, std::int64_t, double, std::string, global, tuple, list,
                 dict, torch::Tensor, opaque>
        v;
    //! How deep this value nests (1 for a leaf), as the unpickler built it.
    std::size_t depth = 1;

    value() = default;
    value(value const&) = delete;
    value& operator=(value const&) = delete;
    ~value();
};

//! Deeper than any state dict (a tensor is 4 deep in one): the unpickler refuses more.
inline constexpr std::size_t max_depth = 100;

//! Frees a value's children one level at a time: a list nested a million deep (a 2 MB
//! file) is taken apart in a loop, not in a million nested destructor calls (which
//! overflowed the stack). Children still owned elsewhere are left to their other owners.
inline value::~value() {
    std::vector<value_ptr> pending;
    auto const take_children = [&pending](value& x) {
        if (auto* t = std::get_if<tuple>(&x.v)) {
            std::move(t->items.begin(), t->items.end(), std::back_inserter(pending));
            t->items.clear();
        } else if (auto* l = std::get_if<list>(&x.v)) {
            std::move(l->items.begin(), l->items.end(), std::back_inserter(pending));
            l->items.clear();
        } else if (auto* d = std::get_if<dict>(&x.v)) {
            for (auto& [k, item] : d->items) {
                pending.push_back(std::move(k));
                pending.push_back(std::move(item));
            }
            d->items.clear();
        }
    };
    take_children(*this);
    while (!pending.empty()) {
        value_ptr last = std::move(pending.back());
        pending.pop_back();
        if (last && last.use_count() == 1)
            take_children(*last); // `last` is then freed with no children of its own
    }
}

//! What a refused value is, for messages: "a call to posix.system", "a list", ...
inline std::string describe(value const& x) {
    return std::visit(
        [](auto const& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, value::opaque>)
                return "a call to " + v.what
                       + " (not made: a state dict calls only torch's tensor "
                         "rebuilders and collections.OrderedDict, so this file is no "
                         "state dict and may be hostile)";
            else if constexpr (std::is_same_v<T, value::global>)
                return "the global " + v.module + "." + v.name;
            else if constexpr (std::is_same_v<T, value::none>)
                return "None";
            else if constexpr (std::is_same_v<T, value::tuple>)
                return "a tuple";
            else if constexpr (std::is_same_v<T, value::list>)
                return "a list";
            else if constexpr (std::is_same_v<T, std::string>)
                return "a string";
            else if constexpr (std::is_same_v<T, value::dict>)
                return "a dict";
            else if constexpr (std::is_same_v<T, torch::Tensor>)
                return "a tensor";
            else if constexpr (std::is_same_v<T, value::mark>)
                return "a pickle mark";
            else
                return "a number";
        },
        x.v);
}

inline value_ptr make(auto x) {
    auto p = std::make_shared<value>();
    p->v = std::move(x);
    return p;
}

//! Storage dtypes by their pickled class name (`torch.FloatStorage`, ...).
inline std::optional<torch::ScalarType> storage_dtype(std::string const& name) {
    static std::map<std::string, torch::ScalarType> const table{
        {"FloatStorage", torch::kFloat32}, {"DoubleStorage", torch::kFloat64},
        {"HalfStorage", torch::kFloat16},  {"BFloat16Storage", torch::kBFloat16},
        {"LongStorage", torch::kInt64},    {"IntStorage", torch::kInt32},
        {"ShortStorage", torch::kInt16},   {"CharStorage", torch::kInt8},
        {"ByteStorage", torch::kUInt8},    {"BoolStorage", torch::kBool}};
    auto it = table.find(name);
    if (it == table.end())
        return std::nullopt;
    return it->second;
}

//! Unpickles `data.pkl` of a torch.save archive; storages come from `reader`.
class unpickler {
public:
    unpickler(std::string where, std::vector<unsigned char> const& data,
              caffe2::serialize::PyTorchStreamReader& reader)
        : where_(std::move(where))
        , data_(data)
        , reader_(reader) {}

    value_ptr run() {
        while (true) {
            auto const op = byte();
            switch (op) {
            case 0x80: // PROTO
                byte();
                break;
            case 0x95: // FRAME
                bytes(8);
                break;
            case '.': // STOP
                return pop();
            case 'c': { // GLOBAL
                auto module = line();
                auto name = line();
                last_global_ = module + "." + name;
                push(make(value::global{module, name}));
                break;
            }
            case 'q': // BINPUT
                memo_[byte()] = top();
                break;
            case 'r': // LONG_BINPUT
                memo_[u32()] = top();
                break;
            case 0x94: // MEMOIZE
                memo_[memo_.size()] = top();
                break;
            case 'h': // BINGET
                push(memo(byte()));
                break;
            case 'j': // LONG_BINGET
                push(memo(u32()));
                break;
            case '(': // MARK
                push(make(value::mark{}));
                break;
            case ')': // EMPTY_TUPLE
                push(make(value::tuple{}));
                break;
            case 't': // TUPLE
                push(container(value::tuple{pop_to_mark()}));
                break;
            case 0x85:   // TUPLE1
            case 0x86:   // TUPLE2
            case 0x87: { // TUPLE3
                std::vector<value_ptr> items(static_cast<std::size_t>(op - 0x84));
                for (auto i = items.size(); i-- > 0;)
                    items[i] = pop();
                push(container(value::tuple{std::move(items)}));
                break;
            }
            case ']': // EMPTY_LIST
                push(make(value::list{}));
                break;
            case 'a': { // APPEND
                auto x = pop();
                as<value::list>(top(), "a list").items.push_back(nest(*top(), x));
                break;
            }
            case 'e': { // APPENDS
                auto items = pop_to_mark();
                auto& l = as<value::list>(top(), "a list");
                for (auto& x : items)
                    l.items.push_back(nest(*top(), x));
                break;
            }
            case '}': // EMPTY_DICT
                push(make(value::dict{}));
                break;
            case 's': { // SETITEM
                auto v = pop();
                auto k = pop();
                as<value::dict>(top(), "a dict")
                    .items.emplace_back(nest(*top(), k), nest(*top(), v));
                break;
            }
            case 'u': { // SETITEMS
                auto items = pop_to_mark();
                if (items.size() % 2 != 0)
                    fail("key-value pairs", "an odd number of items");
                auto& d = as<value::dict>(top(), "a dict");
                for (std::size_t i = 0; i < items.size(); i += 2)
                    d.items.emplace_back(nest(*top(), items[i]),
                                         nest(*top(), items[i + 1]));
                break;
            }
            case 'N':
                push(make(value::none{}));
                break;
            case 0x88: // NEWTRUE
                push(make(true));
                break;
            case 0x89: // NEWFALSE
                push(make(false));
                break;
            case 'K': // BININT1
                push(make(static_cast<std::int64_t>(byte())));
                break;
            case 'M': { // BININT2
                auto lo = byte();
                auto hi = byte();
                push(make(static_cast<std::int64_t>(lo | (hi << 8))));
                break;
            }
            case 'J': // BININT
                push(make(static_cast<std::int64_t>(static_cast<std::int32_t>(u32()))));
                break;
            case 0x8a: { // LONG1
                auto n = byte();
                if (n > 8)
                    fail("an integer of at most 8 bytes", std::to_string(n) + " bytes");
                auto b = bytes(n);
                std::uint64_t u = 0;
                for (std::size_t i = n; i-- > 0;)
                    u = (u << 8) | b[i];
                if (n > 0 && n < 8 && (b[n - 1] & 0x80))
                    u |= ~std::uint64_t{0} << (8 * n); // sign-extend
                push(make(static_cast<std::int64_t>(u)));
                break;
            }
            case 'G': { // BINFLOAT (big-endian)
                auto b = bytes(8);
                std::uint64_t u = 0;
                for (int i = 0; i < 8; ++i)
                    u = (u << 8) | b[static_cast<std::size_t>(i)];
                double d;
                std::memcpy(&d, &u, 8);
                push(make(d));
                break;
            }
            case 'X': { // BINUNICODE
                auto n = u32();
                auto b = bytes(n);
                push(make(std::string(b.begin(), b.end())));
                break;
            }
            case 0x8c: { // SHORT_BINUNICODE
                auto n = byte();
                auto b = bytes(n);
                push(make(std::string(b.begin(), b.end())));
                break;
            }
            case 'Q': // BINPERSID
                push(make(storage(pop())));
                break;
            case 'R': { // REDUCE
                auto args = pop();
                auto callable = pop();
                push(reduce(callable, args));
                break;
            }
            case 'b': // BUILD: state for an object (an OrderedDict's `_metadata`): unused
                pop();
                break;
            default:
                fail("a pickle opcode used by torch.save for state dicts",
                     "opcode 0x" + hex(op) + refused_global(op));
            }
        }
    }

private:
    [[noreturn]] void fail(std::string const& expected, std::string const& found) const {
        throw error(where_ + " (data.pkl, byte " + std::to_string(pos_) + ")", expected,
                    found);
    }
    //! For an opcode refused while a global is pending, names the global, so a user can
    //! tell a hostile file (posix.system) from an unsupported one (a whole pickled model):
    //! STACK_GLOBAL's module and name are the two strings on the stack; otherwise the
    //! last GLOBAL read.
    std::string refused_global(unsigned op) const {
        auto const text = [&](std::size_t from_top) -> std::string const* {
            if (stack_.size() < from_top)
                return nullptr;
            return std::get_if<std::string>(&stack_[stack_.size() - from_top]->v);
        };
        if (op == 0x93 && text(1) && text(2)) // STACK_GLOBAL
            return " (STACK_GLOBAL " + *text(2) + "." + *text(1) + ", not loaded)";
        if (!last_global_.empty())
            return " (after the global " + last_global_ + ", not called)";
        return "";
    }
    static std::string hex(unsigned v) {
        std::ostringstream s;
        s << std::hex << v;
        return s.str();
    }
    unsigned byte() {
        if (pos_ >= data_.size())
            fail("more pickle data", "the end of data.pkl (truncated)");
        return data_[pos_++];
    }
    std::vector<unsigned char> bytes(std::size_t n) {
        if (n > data_.size() - pos_)
            fail(std::to_string(n) + " more bytes", "the end of data.pkl (truncated)");
        std::vector<unsigned char> out(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                       data_.begin()
                                           + static_cast<std::ptrdiff_t>(pos_ + n));
        pos_ += n;
        return out;
    }
    std::uint32_t u32() {
        auto b = bytes(4);
        return b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    }
    std::string line() {
        std::string s;
        for (auto c = byte(); c != '\n'; c = byte())
            s += static_cast<char>(c);
        return s;
    }
    void push(value_ptr v) { stack_.push_back(std::move(v)); }
    //! `child`, about to go into `parent`: the parent's depth follows, up to max_depth.
    value_ptr const& nest(value& parent, value_ptr const& child) {
        if (child->depth + 1 > max_depth)
            fail("a state dict nested at most " + std::to_string(max_depth) + " deep",
                 describe(*child) + " nested " + std::to_string(child->depth)
                     + " deep, inside one more");
        parent.depth = std::max(parent.depth, child->depth + 1);
        return child;
    }
    //! A tuple of `items`, as deep as its deepest item allows.
    value_ptr container(value::tuple t) {
        auto p = make(value::tuple{});
        for (auto const& x : t.items)
            nest(*p, x);
        std::get<value::tuple>(p->v) = std::move(t);
        return p;
    }
    value_ptr pop() {
        if (stack_.empty())
            fail("a value on the pickle stack", "an empty stack");
        auto v = stack_.back();
        stack_.pop_back();
        return v;
    }
    value_ptr top() {
        if (stack_.empty())
            fail("a value on the pickle stack", "an empty stack");
        return stack_.back();
    }
    value_ptr memo(std::size_t i) {
        auto it = memo_.find(i);
        if (it == memo_.end())
            fail("a memoised value", "memo index " + std::to_string(i));
        return it->second;
    }
    std::vector<value_ptr> pop_to_mark() {
        std::vector<value_ptr> items;
        while (true) {
            auto v = pop();
            if (std::holds_alternative<value::mark>(v->v))
                break;
            items.push_back(v);
        }
        return {items.rbegin(), items.rend()};
    }
    template <class T>
    T& as(value_ptr const& v, std::string const& what) {
        if (auto* p = std::get_if<T>(&v->v))
            return *p;
        fail(what, "another value");
    }
    std::int64_t integer(value_ptr const& v) { return as<std::int64_t>(v, "an integer"); }
    std::vector<std::int64_t> ints(value_ptr const& v) {
        std::vector<std::int64_t> out;
        for (auto const& x : as<value::tuple>(v, "a tuple of integers").items)
            out.push_back(integer(x));
        return out;
    }

    //! ('storage', torch.FloatStorage, key, location, numel): the record data/<key>.
    torch::Tensor storage(value_ptr const& pid) {
        auto const& t = as<value::tuple>(pid, "a storage id tuple").items;
        if (t.size() < 5)
            fail("a storage id ('storage', type, key, location, numel)", "a shorter tuple");
        auto const& type = as<value::global>(t[1], "a storage type");
        auto const key = as<std::string>(t[2], "a storage key");
        auto const numel = integer(t[4]);
        auto const dtype = storage_dtype(type.name);
        if (!dtype)
            fail("a supported storage type", type.module + "." + type.name);
        if (auto it = storages_.find(key); it != storages_.end())
            return it->second;
        auto const record = "data/" + key;
        if (!reader_.hasRecord(record))
            fail("the record " + record, "an archive without it (truncated?)");
        auto [ptr, size] = reader_.getRecord(record);
        auto const itemsize = static_cast<std::int64_t>(c10::elementSize(*dtype));
        if (numel < 0 || static_cast<std::int64_t>(size) != numel * itemsize)
            fail(std::to_string(numel) + " elements in " + record,
                 std::to_string(size) + " bytes");
        auto s = torch::empty({numel}, torch::TensorOptions().dtype(*dtype));
        if (size > 0)
            std::memcpy(s.data_ptr(), ptr.get(), size);
        storages_[key] = s;
        return s;
    }

    value_ptr reduce(value_ptr const& callable, value_ptr const& args) {
        auto const* g = std::get_if<value::global>(&callable->v);
        if (!g)
            return make(value::opaque{"a call"});
        auto const fn = g->module + "." + g->name;
        if (fn == "collections.OrderedDict")
            return make(value::dict{});
        auto const& a = as<value::tuple>(args, "an argument tuple").items;
        if (fn == "torch._utils._rebuild_tensor_v2"
            || fn == "torch._utils._rebuild_tensor") {
            if (a.size() < 4)
                fail("(storage, offset, size, stride, ...)", "fewer arguments");
            auto const& s = as<torch::Tensor>(a[0], "a storage");
            auto const offset = integer(a[1]);
            auto const size = ints(a[2]);
            auto const stride = ints(a[3]);
            // The view must lie inside its storage.
            std::int64_t last = offset;
            bool empty = false;
            for (std::size_t i = 0; i < size.size(); ++i) {
                if (size[i] < 0 || i >= stride.size() || stride[i] < 0)
                    fail("non-negative sizes and strides", "a malformed tensor");
                if (size[i] == 0)
                    empty = true;
                else
                    last += (size[i] - 1) * stride[i];
            }
            if (size.size() != stride.size() || offset < 0 || (!empty && last >= s.numel()))
                fail("a tensor view inside its storage of " + std::to_string(s.numel())
                         + " elements",
                     "one reaching element " + std::to_string(last));
            return make(s.as_strided(size, stride, offset).clone());
        }
        if (fn == "torch.jit._pickle.restore_type_tag") { // LibTorch's pickle_save
            if (a.empty())
                fail("(value, type)", "no arguments");
            return a[0];
        }
        if (fn == "torch._utils._rebuild_parameter") {
            if (a.empty())
                fail("(data, requires_grad, hooks)", "no arguments");
            return a[0];
        }
        return make(value::opaque{fn});
    }

    std::string where_;
    std::vector<unsigned char> const& data_;
    caffe2::serialize::PyTorchStreamReader& reader_;
    std::size_t pos_ = 0;
    std::vector<value_ptr> stack_;
    std::map<std::size_t, value_ptr> memo_;
    std::map<std::string, torch::Tensor> storages_;
    std::string last_global_;
};

} // namespace pth

//! Reads a `.pth` state dict: every tensor (CPU, in the file's order). A whole pickled
//! model (not a state dict), a legacy file or a corrupt archive is one pipeline::error.
inline std::vector<named_tensor> read_pth(std::filesystem::path const& path) {
    auto const bytes = safetensors::read_bytes(path);
    static constexpr unsigned char zip_magic[4] = {'P', 'K', 3, 4};
    if (bytes.size() < 4 || std::memcmp(bytes.data(), zip_magic, 4) != 0) {
        bool const legacy = !bytes.empty() && bytes[0] == 0x80; // a raw pickle stream
        throw error(path.string(),
                    "a .pth file in torch.save's zip format (PyTorch >= 1.6)",
                    legacy ? "a legacy (non-zip) torch.save file; re-save it once with: "
                                 + pth_resave_command(path)
                           : "neither a zip archive nor a pickle (not a .pth file?)");
    }
    pth::value_ptr root;
    try {
        std::istringstream in(std::string(bytes.begin(), bytes.end()));
        caffe2::serialize::PyTorchStreamReader reader(&in);
        if (!reader.hasRecord("data.pkl"))
            throw error(path.string(), "a torch.save archive with data.pkl",
                        "a zip without it (saved with torch.jit.save? load the state dict "
                        "and torch.save it)");
        auto [ptr, size] = reader.getRecord("data.pkl");
        auto const* p = static_cast<unsigned char const*>(ptr.get());
        std::vector<unsigned char> const pkl(p, p + size);
        root = pth::unpickler(path.string(), pkl, reader).run();
    } catch (c10::Error const& e) {
        throw error(path.string(), "a readable torch.save archive",
                    std::string("a corrupt or truncated one (") + e.what_without_backtrace()
                        + ")");
    }
    auto const* dict = std::get_if<pth::value::dict>(&root->v);
    if (!dict)
        throw error(path.string(), "a state dict (save model.state_dict(), not the model)",
                    pth::describe(*root));
    std::vector<named_tensor> out;
    for (auto const& [k, v] : dict->items) {
        auto const* name = std::get_if<std::string>(&k->v);
        auto const* tensor = std::get_if<torch::Tensor>(&v->v);
        if (!name)
            throw error(path.string(), "string keys in the state dict", "another key");
        if (!tensor)
            throw error(path.string() + ": entry '" + *name + "'", "a tensor",
                        pth::describe(*v)
                            + (std::holds_alternative<pth::value::opaque>(v->v)
                                   ? ""
                                   : " (a checkpoint dict? save its state_dict alone)"));
        out.push_back({*name, *tensor});
    }
    return out;
}

} // namespace pipeline

// The naming rule of the vocabulary: a name with sensible defaults is a type (`MixUp`,
// `Cosine`, `SGD`), tuned with its stage's optional second argument
// (`Augment<MixUp, {.alpha = 0.2}>`, `Schedule<Cosine, {.warmup_epochs = 1}>`); a name
// that needs a value stays a template (`SmoothedCE<0.1>`, `RandomCrop<32, 4>`). This
// header is what the stages use to tell the two apart and to apply the second argument.
// Torch-free.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

namespace pipeline {

//! A tunable vocabulary type `T` declares its hyperparameters' struct `params_type`, its
//! own values `params`, and `with<P>`, the same name tuned to `P`:
//!
//!     Cosine::params_type                          // CosineParams
//!     Cosine::with<{.warmup_epochs = 1}>           // what Schedule<Cosine, {...}> runs
template <class T>
concept tunable = requires {
    typename T::params_type;
    T::params;
};

//! The base of a tunable name's class template, declaring what `tunable` asks for:
//!
//!     template <CosineParams P>
//!     struct cosine : schedule_tag, tuned_by<cosine, P> { ... };
//!     using Cosine = cosine<CosineParams{}>;
template <template <auto> class Tag, auto P>
struct tuned_by {
    using params_type = std::remove_cv_t<decltype(P)>;
    static constexpr params_type params = P;
    template <params_type Q>
    using with = Tag<Q>;
};

namespace detail {

//! The second argument's type for a stage argument that takes none (HorizontalFlip,
//! Constant, RandomCrop<32, 4>): a braced list given to it fails to convert, and the
//! compiler names this type.
struct takes_no_second_argument {};

template <class T>
struct params_of {
    using type = takes_no_second_argument;
    static constexpr type value{};
};
template <tunable T>
struct params_of<T> {
    using type = typename T::params_type;
    static constexpr type value = T::params;
};

template <class T, auto P>
struct tuned {
    using type = T;
};
template <tunable T, auto P>
struct tuned<T, P> {
    using type = typename T::template with<P>;
};

//! `Cosine`, or `Cosine, {.warmup_epochs = 1}`: the stage arguments of a tunable name as
//! the user writes them, `fields` being the designated initialisers that differ from the
//! defaults (detail::field_printer).
inline std::string tuned_name(std::string_view word, std::string const& fields) {
    return std::string(word) + (fields.empty() ? "" : ", " + fields);
}

} // namespace detail

//! The hyperparameters' type of a stage argument (`takes_no_second_argument` for names
//! without any), and its values as written.
template <class T>
using params_type_t = typename detail::params_of<T>::type;
template <class T>
inline constexpr params_type_t<T> params_of_v = detail::params_of<T>::value;

//! `T` tuned to `P`: `tuned_t<Cosine, CosineParams{.warmup_epochs = 1}>`; `T` itself for
//! names that take no hyperparameters.
template <class T, auto P>
using tuned_t = typename detail::tuned<T, P>::type;

} // namespace pipeline

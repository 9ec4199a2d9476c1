// libFuzzer's driver, for a program with its own `main` (LLVM's libFuzzer documentation, "Using libFuzzer as a library").
// The definition comes from libclang_rt.fuzzer, which `-sanitize=fuzzer` links.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

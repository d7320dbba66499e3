// What the kernel sources see of the host emulator (emu.cpp): the per-thread CUDA built-in variables,
// the block barrier, the warp shuffle and the registry that maps a kernel's name to a typed call.
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

struct nmtl_index3
{
    unsigned x, y, z;
};

namespace nmtl_emu
{
extern thread_local nmtl_index3 thread_idx;
extern thread_local nmtl_index3 block_idx;
extern thread_local nmtl_index3 block_dim;
extern thread_local nmtl_index3 grid_dim;

void sync_threads();
unsigned shfl_down_u32(unsigned value, int delta);

// A kernel as the launcher calls it: args[i] points at the value of parameter i, as in cuLaunchKernel.
using Invoker = void (*)(void* kernel, void** args);

void register_kernel(const char* name, void* kernel, Invoker invoker);

template <typename... A, std::size_t... I>
void invoke_unpacked(void (*kernel)(A...), void** args, std::index_sequence<I...>)
{
    kernel(*static_cast<std::remove_cvref_t<A>*>(args[I])...);
}

template <typename... A>
void invoke(void* kernel, void** args)
{
    invoke_unpacked(reinterpret_cast<void (*)(A...)>(kernel), args, std::index_sequence_for<A...>{});
}

struct Registrar
{
    template <typename... A>
    Registrar(const char* name, void (*kernel)(A...))
    {
        register_kernel(name, reinterpret_cast<void*>(kernel), &invoke<A...>);
    }
};
} // namespace nmtl_emu

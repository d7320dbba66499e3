// Host emulation of the CUDA execution model, for testing the kernels without a GPU (DESIGN.md section 3).
// Built by HostEmulator (src/Kernels/Cuda/HostEmulator.cs) with g++ into a host library, together with every kernel
// family and the runtime modules of CUDA C that its user gives it.
//
// A launch runs its blocks one after another, the last first: on a GPU blocks run in any order, so a kernel whose
// result depends on block order (a first-found position, a non-atomic merge) must show it here rather than pass
// because block 0 happened to run first. Inside a block each CUDA thread runs on its own host thread
// (a pool, reused across blocks and launches), so __syncthreads is a real barrier and shared memory, which
// the prelude declares static, is shared by exactly the threads of the running block. A warp shuffle writes
// the lane's value to a per-warp slot, waits on the warp's barrier, reads its source lane's slot and waits
// again, so that shuffles work inside a branch taken by one warp only. A thread that returns drops out of
// its block's and warp's barriers, as an exited GPU thread no longer holds up bar.sync. Launches are
// serialized, since the static shared memory belongs to one block at a time.
#define NMTL_EMU 1
#include "../class_sum.cu"
#include "../copy_fill.cu"
#include "../deform_conv.cu"
#include "../elementwise.cu"
#include "../grad_geometry.cu"
#include "../graddrop.cu"
#include "../masked_l1.cu"
#include "../nll.cu"
#include "../optim.cu"
#include "../pool.cu"
#include "../random.cu"
#include "../reduce.cu"
#include "../softmax.cu"
#include "../upsample.cu"

#include <barrier>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nmtl_emu
{
thread_local nmtl_index3 thread_idx;
thread_local nmtl_index3 block_idx;
thread_local nmtl_index3 block_dim;
thread_local nmtl_index3 grid_dim;

namespace
{
struct Kernel
{
    void* function;
    Invoker invoker;
};

std::map<std::string, Kernel>& registry()
{
    static std::map<std::string, Kernel> kernels;
    return kernels;
}

struct Warp
{
    explicit Warp(unsigned threads) : size(threads), barrier(threads) {}
    unsigned size;
    std::barrier<> barrier;
    unsigned slots[32] = {};
};

struct Block
{
    explicit Block(unsigned threads) : barrier(threads)
    {
        for (unsigned first = 0; first < threads; first += 32)
            warps.push_back(std::make_unique<Warp>(threads - first < 32 ? threads - first : 32));
    }
    std::barrier<> barrier;
    std::vector<std::unique_ptr<Warp>> warps;
};

thread_local Block* current_block;
thread_local Warp* current_warp;
thread_local unsigned current_lane;

// Host threads that each play one CUDA thread of the running block.
class ThreadPool
{
public:
    void run(unsigned count, const std::function<void(unsigned)>& job)
    {
        {
            std::lock_guard lock(mutex_);
            while (threads_.size() < count)
            {
                unsigned index = (unsigned)threads_.size();
                threads_.emplace_back([this, index] { work(index); });
                threads_.back().detach();
            }
            job_ = &job;
            active_ = count;
            remaining_ = count;
            ++generation_;
        }
        start_.notify_all();
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return remaining_ == 0; });
    }

private:
    void work(unsigned index)
    {
        unsigned long long seen = 0;
        std::unique_lock lock(mutex_);
        for (;;)
        {
            start_.wait(lock, [&] { return generation_ != seen; });
            seen = generation_;
            if (index >= active_) continue;
            const auto* job = job_;
            lock.unlock();
            (*job)(index);
            lock.lock();
            if (--remaining_ == 0) done_.notify_one();
        }
    }

    std::mutex mutex_;
    std::condition_variable start_, done_;
    std::vector<std::thread> threads_;
    const std::function<void(unsigned)>* job_ = nullptr;
    unsigned active_ = 0, remaining_ = 0;
    unsigned long long generation_ = 0;
};

std::mutex launch_mutex;
} // namespace

void register_kernel(const char* name, void* kernel, Invoker invoker) { registry()[name] = Kernel{ kernel, invoker }; }

void sync_threads() { current_block->barrier.arrive_and_wait(); }

unsigned shfl_down_u32(unsigned value, int delta)
{
    Warp& warp = *current_warp;
    warp.slots[current_lane] = value;
    warp.barrier.arrive_and_wait();
    unsigned source = current_lane + (unsigned)delta;
    unsigned result = source < warp.size ? warp.slots[source] : value;
    warp.barrier.arrive_and_wait();
    return result;
}
} // namespace nmtl_emu

using namespace nmtl_emu;

// The emulator's cuLaunchKernel: the same grid, block and kernelParams array as on the GPU.
// Returns 0, or 1 for an unknown kernel, or 2 for a block of no threads or more than 1024, or 3 for a grid with no
// blocks (cuLaunchKernel refuses it too, so an empty input must return before launching).
extern "C" int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          void** args)
{
    auto found = registry().find(name);
    if (found == registry().end()) return 1;
    unsigned threads = bx * by * bz;
    if (threads == 0 || threads > 1024) return 2;
    if (gx == 0 || gy == 0 || gz == 0) return 3;
    static ThreadPool* pool = new ThreadPool(); // never destroyed: its detached threads outlive static destructors
    const Kernel kernel = found->second;
    std::lock_guard lock(launch_mutex);
    for (unsigned z = gz; z-- > 0;)
        for (unsigned y = gy; y-- > 0;)
            for (unsigned x = gx; x-- > 0;)
            {
                Block block(threads);
                std::function<void(unsigned)> body = [&](unsigned t) {
                    thread_idx = { t % bx, t / bx % by, t / (bx * by) };
                    block_idx = { x, y, z };
                    block_dim = { bx, by, bz };
                    grid_dim = { gx, gy, gz };
                    current_block = &block;
                    current_warp = block.warps[t / 32].get();
                    current_lane = t % 32;
                    kernel.invoker(kernel.function, args);
                    current_warp->barrier.arrive_and_drop();
                    current_block->barrier.arrive_and_drop();
                };
                pool->run(threads, body);
            }
    return 0;
}

extern "C" int emu_kernel_count() { return (int)registry().size(); }

// Name of the i-th registered kernel in sorted order, or null past the end.
extern "C" const char* emu_kernel_name(int index)
{
    int i = 0;
    for (const auto& entry : registry())
        if (i++ == index) return entry.first.c_str();
    return nullptr;
}

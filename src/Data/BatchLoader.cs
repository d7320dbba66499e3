using System.Runtime.ExceptionServices;
using NativeMtl.Data.Synthetic;

namespace NativeMtl.Data;

public sealed record BatchLoaderOptions
{
    public int BatchSize { get; init; } = 8;

    /// <summary>Visit each epoch's indices in a random order drawn from <see cref="Seed"/> and the epoch.</summary>
    public bool Shuffle { get; init; }

    public ulong Seed { get; init; }

    /// <summary>How many passes over the dataset; null for an endless stream of batches.</summary>
    public int? Epochs { get; init; } = 1;

    /// <summary>Leave out each epoch's last batch when it would be smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>Threads that render or read samples.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Batches that may be ready or in progress ahead of the consumer: the bound on the queue.</summary>
    public int Prefetch { get; init; } = 2;

    public Device Device { get; init; } = Device.Cpu;

    /// <summary>The position of the first batch to return, counted over all epochs (batch b is batch
    /// b mod BatchesPerEpoch of epoch b / BatchesPerEpoch): a resumed run starts where the interrupted one stopped.</summary>
    public long StartBatch { get; init; }
}

/// <summary>
/// Loads batches of a dense dataset ahead of the consumer on worker threads. Workers take samples one at a
/// time, in order, for at most <see cref="BatchLoaderOptions.Prefetch"/> batches past the one the consumer
/// waits for, writing into reused host buffers; <see cref="Next"/> returns batches in order and uploads them
/// to the device on the calling thread. Batch contents depend only on the dataset and the options, never on
/// the number of workers or their timing. A sample that fails to load fails <see cref="Next"/> with the
/// dataset's exception. Dispose stops the workers.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    private const uint ShuffleStream = 0x4000_0000;

    private readonly IDenseDataset _dataset;
    private readonly BatchLoaderOptions _options;
    private readonly object _gate = new();
    private readonly Slot[] _slots;
    private readonly Thread[] _workers;
    private readonly Dictionary<int, long[]> _orders = [];
    private readonly long _totalBatches;
    private long _consumed;
    private long _cursorBatch;
    private int _cursorItem;
    private bool _stopping;

    public BatchLoader(IDenseDataset dataset, BatchLoaderOptions? options = null)
    {
        _dataset = dataset;
        _options = options ?? new BatchLoaderOptions();
        if (_options.BatchSize <= 0) throw new ArgumentException($"BatchLoader: BatchSize must be positive, not {_options.BatchSize}");
        if (_options.Workers <= 0) throw new ArgumentException($"BatchLoader: Workers must be positive, not {_options.Workers}");
        if (_options.Prefetch <= 0) throw new ArgumentException($"BatchLoader: Prefetch must be positive, not {_options.Prefetch}");
        if (_options.Epochs is <= 0) throw new ArgumentException($"BatchLoader: Epochs must be positive or null, not {_options.Epochs}");
        if ((dataset.Fields & DenseFields.Mtan) != DenseFields.Mtan)
            throw new ArgumentException($"BatchLoader: the dataset lacks {DenseFields.Mtan & ~dataset.Fields}, which every batch holds");
        if (_options.Shuffle && dataset.Count > Array.MaxLength)
            throw new ArgumentException($"BatchLoader: cannot shuffle {dataset.Count} samples (at most {Array.MaxLength})");

        BatchesPerEpoch = _options.DropLast ? dataset.Count / _options.BatchSize : (dataset.Count + _options.BatchSize - 1) / _options.BatchSize;
        if (BatchesPerEpoch == 0)
            throw new ArgumentException($"BatchLoader: {dataset.Count} samples make no full batch of {_options.BatchSize}");
        _totalBatches = _options.Epochs is int epochs ? epochs * BatchesPerEpoch : long.MaxValue;
        if (_options.StartBatch < 0 || _options.StartBatch > _totalBatches)
            throw new ArgumentException($"BatchLoader: StartBatch {_options.StartBatch} is outside [0, {_totalBatches}]");
        _consumed = _cursorBatch = _options.StartBatch;

        _slots = new Slot[_options.Prefetch];
        for (int i = 0; i < _slots.Length; i++)
            _slots[i] = new Slot(new HostBatch(_options.BatchSize, dataset.Height, dataset.Width, dataset.Fields), _options.BatchSize);
        _workers = new Thread[_options.Workers];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"NativeMtl.Data loader {i}" };
            _workers[i].Start();
        }
    }

    public long BatchesPerEpoch { get; }

    /// <summary>Batches taken so far, counted from the start of epoch 0 (<see cref="BatchLoaderOptions.StartBatch"/> included):
    /// the position a checkpoint saves.</summary>
    public long Position
    {
        get
        {
            lock (_gate) return _consumed;
        }
    }

    /// <summary>The next batch, or null after the last epoch. Blocks until its samples are loaded.</summary>
    public DenseBatch? Next(CancellationToken cancellationToken = default)
    {
        Slot slot;
        long batch;
        using (cancellationToken.Register(WakeAll))
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_stopping, this);
                batch = _consumed;
                if (batch >= _totalBatches) return null;
                slot = _slots[batch % _slots.Length];
                while (!(slot.Batch == batch && slot.Remaining == 0))
                {
                    ObjectDisposedException.ThrowIf(_stopping, this);
                    cancellationToken.ThrowIfCancellationRequested();
                    Monitor.Wait(_gate);
                }
            }
        }
        // The slot is not reused until _consumed moves past it, so it can be read outside the lock.
        if (slot.Error is not null) ExceptionDispatchInfo.Throw(slot.Error);
        var result = DenseBatch.Upload(slot.Host, slot.Count, [.. slot.Infos.Take(slot.Count)], _options.Device);
        lock (_gate)
        {
            _consumed = batch + 1;
            _orders.Remove(Epoch(batch) - 1);
            Monitor.PulseAll(_gate);
        }
        return result;
    }

    /// <summary>Every remaining batch in order; the caller disposes each.</summary>
    public IEnumerable<DenseBatch> Batches(CancellationToken cancellationToken = default)
    {
        while (Next(cancellationToken) is { } batch) yield return batch;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var worker in _workers) worker.Join();
    }

    private void WakeAll()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private void Work()
    {
        while (true)
        {
            Slot slot;
            int item;
            long index;
            int epoch;
            lock (_gate)
            {
                while (!_stopping && _cursorBatch < _totalBatches && _cursorBatch >= _consumed + _slots.Length) Monitor.Wait(_gate);
                if (_stopping || _cursorBatch >= _totalBatches) return;
                long batch = _cursorBatch;
                slot = _slots[batch % _slots.Length];
                item = _cursorItem;
                if (item == 0)
                {
                    slot.Batch = batch;
                    slot.Count = slot.Remaining = BatchLength(batch);
                    slot.Error = null;
                }
                epoch = Epoch(batch);
                index = IndexOf(epoch, (batch % BatchesPerEpoch) * _options.BatchSize + item);
                if (++_cursorItem == slot.Count)
                {
                    _cursorBatch++;
                    _cursorItem = 0;
                }
            }
            Exception? error = null;
            try
            {
                slot.Infos[item] = _dataset.Load(index, epoch, slot.Host.View(item));
            }
            catch (Exception e)
            {
                error = e;
            }
            lock (_gate)
            {
                slot.Error ??= error;
                if (--slot.Remaining == 0) Monitor.PulseAll(_gate);
            }
        }
    }

    private int Epoch(long batch) => (int)Math.Min(batch / BatchesPerEpoch, int.MaxValue);

    private int BatchLength(long batch)
    {
        long start = (batch % BatchesPerEpoch) * _options.BatchSize;
        return (int)Math.Min(_options.BatchSize, _dataset.Count - start);
    }

    /// <summary>The dataset index at a position of an epoch's order (called under the lock).</summary>
    private long IndexOf(int epoch, long position)
    {
        if (!_options.Shuffle) return position;
        if (!_orders.TryGetValue(epoch, out var order))
        {
            order = new long[_dataset.Count];
            for (long i = 0; i < order.Length; i++) order[i] = i;
            var random = new SceneRandom(_options.Seed, ShuffleStream, epoch);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = (int)(random.NextDouble() * (i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }
            _orders[epoch] = order;
        }
        return order[position];
    }

    private sealed class Slot(HostBatch host, int capacity)
    {
        public HostBatch Host { get; } = host;
        public SampleInfo[] Infos { get; } = new SampleInfo[capacity];
        public long Batch { get; set; } = -1;
        public int Count { get; set; }
        public int Remaining { get; set; }
        public Exception? Error { get; set; }
    }
}

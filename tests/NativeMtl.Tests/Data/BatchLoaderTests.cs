using NativeMtl.Data;

namespace NativeMtl.Tests.Data;

public class BatchLoaderTests
{
    private static readonly SyntheticScenes Small = new(seed: 3, height: 24, width: 32, count: 7);

    [Fact]
    public void BatchesHoldTheDatasetsSamplesInOrderWhateverTheWorkerCount()
    {
        foreach (int workers in new[] { 1, 2, 3 })
        {
            using var loader = new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 3, Workers = workers });
            long next = 0;
            foreach (var batch in loader.Batches())
            {
                using (batch)
                {
                    var image = batch.Image.ToArray<float>();
                    var labels = batch.Labels.ToArray<int>();
                    var depth = batch.Depth.ToArray<float>();
                    var coordinates = batch.ObjectCoordinates!.ToArray<float>();
                    for (int i = 0; i < batch.Count; i++, next++)
                    {
                        var expected = Small.Render(next);
                        Assert.Equal(next, batch.Samples[i].Index);
                        Assert.Equal(expected.Image, image.AsSpan(i * expected.Image.Length, expected.Image.Length).ToArray());
                        Assert.Equal(expected.Labels, labels.AsSpan(i * expected.Labels.Length, expected.Labels.Length).ToArray());
                        Assert.Equal(expected.Depth, depth.AsSpan(i * expected.Depth.Length, expected.Depth.Length).ToArray());
                        Assert.Equal(expected.ObjectCoordinates,
                            coordinates.AsSpan(i * expected.ObjectCoordinates.Length, expected.ObjectCoordinates.Length).ToArray());
                        Assert.Equal(expected.Info.Objects, batch.Samples[i].Objects);
                    }
                }
            }
            Assert.Equal(7, next);
        }
    }

    [Fact]
    public void BatchTensorsHaveTheDocumentedShapesAndTypes()
    {
        using var loader = new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 2 });
        using var batch = loader.Next()!;
        Assert.Equal((new Shape(2, 3, 24, 32), DType.Float32), (batch.Image.Shape, batch.Image.DType));
        Assert.Equal((new Shape(2, 24, 32), DType.Int32), (batch.Labels.Shape, batch.Labels.DType));
        Assert.Equal((new Shape(2, 1, 24, 32), DType.Float32), (batch.Depth.Shape, batch.Depth.DType));
        Assert.Equal((new Shape(2, 3, 24, 32), DType.Float32), (batch.Normals.Shape, batch.Normals.DType));
        Assert.Equal((new Shape(2, 2, 24, 32), DType.Float32), (batch.Curvature!.Shape, batch.Curvature.DType));
        Assert.Equal((new Shape(2, 24, 32), DType.Int32), (batch.Instances!.Shape, batch.Instances.DType));
        Assert.Equal((new Shape(2, 3, 24, 32), DType.Float32), (batch.ObjectCoordinates!.Shape, batch.ObjectCoordinates.DType));
        Assert.Equal(Device.Cpu, batch.Image.Device);
    }

    [Fact]
    public void DisposingABatchDisposesItsTensors()
    {
        using var loader = new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 2 });
        var batch = loader.Next()!;
        batch.Dispose();
        Assert.True(batch.Image.IsDisposed && batch.Labels.IsDisposed && batch.ObjectCoordinates!.IsDisposed);
    }

    [Fact]
    public void TheLastBatchOfAnEpochIsShortUnlessDropped()
    {
        using (var loader = new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 3, Epochs = 2 }))
            Assert.Equal([3, 3, 1, 3, 3, 1], loader.Batches().Select(b => { using (b) return b.Count; }));
        using (var loader = new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 3, Epochs = 2, DropLast = true }))
            Assert.Equal([3, 3, 3, 3], loader.Batches().Select(b => { using (b) return b.Count; }));
    }

    [Fact]
    public void ShuffledEpochsVisitEveryIndexOnceInAnOrderSetByTheSeed()
    {
        var dataset = new CountingDataset(count: 10);
        List<long> Order(ulong seed)
        {
            using var loader = new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 4, Shuffle = true, Seed = seed, Epochs = 2 });
            return loader.Batches().SelectMany(b => { using (b) return b.Samples.Select(s => s.Index).ToList(); }).ToList();
        }
        var order = Order(1);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), order.Take(10).Order());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), order.Skip(10).Order());
        Assert.NotEqual(order.Take(10), order.Skip(10));
        Assert.Equal(order, Order(1));
        Assert.NotEqual(order, Order(2));
    }

    /// <summary>Ten samples in batches of four: with DropLast (the trainer's setting) each epoch is two batches and its
    /// last two samples are left out, so batch k lies in epoch k / 2; without it, three batches, the last of two.</summary>
    [Theory]
    [InlineData(false, new[] { 1, 2, 3, 7 })]
    [InlineData(true, new[] { 1, 2, 3, 5 })]
    public void ALoaderStartedAtBatchKReturnsWhatAnUnstartedOneReturnsAfterItsFirstKBatches(bool dropLast, int[] starts)
    {
        var dataset = new CountingDataset(count: 10);
        var options = new BatchLoaderOptions { BatchSize = 4, Shuffle = true, Seed = 5, Epochs = 3, DropLast = dropLast };
        // Each batch as "epoch: indices", the epoch being what the dataset was asked to load.
        List<string> All(BatchLoader loader) =>
            loader.Batches().Select(b => { using (b) return $"{b.Depth.ToArray<float>()[0]}: {string.Join(",", b.Samples.Select(s => s.Index))}"; }).ToList();
        using var full = new BatchLoader(dataset, options);
        var expected = All(full);
        Assert.Equal(dropLast ? 6 : 9, expected.Count);
        foreach (int start in starts)
        {
            using var started = new BatchLoader(dataset, options with { StartBatch = start });
            Assert.Equal(expected.Skip(start), All(started));
        }
    }

    [Fact]
    public void PositionCountsTheBatchesTakenSinceTheStartOfTheFirstEpoch()
    {
        using var loader = new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 3, Epochs = 2, StartBatch = 2 });
        Assert.Equal(2, loader.Position);
        loader.Next()!.Dispose();
        loader.Next()!.Dispose();
        Assert.Equal(4, loader.Position);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(7)]
    public void AStartBatchOutsideTheEpochsIsRejected(long start)
    {
        var e = Assert.Throws<ArgumentException>(() => new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 3, Epochs = 2, StartBatch = start }));
        Assert.Equal($"BatchLoader: StartBatch {start} is outside [0, 6]", e.Message);
    }

    [Fact]
    public void TheLoaderPassesTheEpochToTheDataset()
    {
        var dataset = new CountingDataset(count: 2);
        using var loader = new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 2, Epochs = 3 });
        Assert.Equal([0f, 1f, 2f], loader.Batches().Select(b => { using (b) return b.Depth.ToArray<float>()[0]; }));
    }

    [Fact]
    public void NextReturnsNullAfterTheLastEpoch()
    {
        using var loader = new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 7 });
        loader.Next()!.Dispose();
        Assert.Null(loader.Next());
        Assert.Null(loader.Next());
    }

    [Fact]
    public void WorkersStayWithinPrefetchBatchesOfTheConsumer()
    {
        var dataset = new CountingDataset(count: 100);
        using var loader = new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 2, Prefetch = 2, Workers = 2 });
        Assert.True(SpinWait.SpinUntil(() => dataset.Loads == 4, TimeSpan.FromSeconds(10)));
        Thread.Sleep(100);
        Assert.Equal(4, dataset.Loads);
        loader.Next()!.Dispose();
        Assert.True(SpinWait.SpinUntil(() => dataset.Loads == 6, TimeSpan.FromSeconds(10)));
        Thread.Sleep(100);
        Assert.Equal(6, dataset.Loads);
    }

    [Fact]
    public void CancellationEndsAWaitForASampleThatDoesNotArrive()
    {
        using var gate = new ManualResetEventSlim(false);
        var dataset = new CountingDataset(count: 4) { Gate = gate };
        using var loader = new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 2, Workers = 1 });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        try
        {
            Assert.Throws<OperationCanceledException>(() => loader.Next(cancel.Token));
        }
        finally
        {
            // Disposing the loader waits for its worker, which waits at the gate.
            gate.Set();
        }
        using var batch = loader.Next();
        Assert.Equal(2, batch!.Count);
    }

    [Fact]
    public void ASampleThatFailsToLoadFailsNextWithTheDatasetsError()
    {
        var dataset = new CountingDataset(count: 6) { FailAt = 3 };
        using var loader = new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 2 });
        loader.Next()!.Dispose();
        var e = Assert.Throws<DataFormatException>(() => loader.Next());
        Assert.Equal("sample 3: broken", e.Message);
    }

    [Fact]
    public void NextAfterDisposeIsAnError()
    {
        var loader = new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 2 });
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.Next());
    }

    [Fact]
    public void ADatasetTooSmallForOneFullBatchIsRejectedWhenDroppingShortBatches()
    {
        var e = Assert.Throws<ArgumentException>(() => new BatchLoader(Small, new BatchLoaderOptions { BatchSize = 8, DropLast = true }));
        Assert.Equal("BatchLoader: 7 samples make no full batch of 8", e.Message);
    }

    /// <summary>A 2×2 dataset whose depth is the epoch and whose loads are counted; it can hold loads at a
    /// gate or fail one index.</summary>
    private sealed class CountingDataset(long count) : IDenseDataset
    {
        private int _loads;

        public int Loads => Volatile.Read(ref _loads);
        public ManualResetEventSlim? Gate { get; init; }
        public long FailAt { get; init; } = -1;
        public int Height => 2;
        public int Width => 2;
        public long Count => count;
        public int ClassCount => 1;
        public DenseFields Fields => DenseFields.Mtan;

        public SampleInfo Load(long index, int epoch, SampleView target)
        {
            Gate?.Wait();
            Interlocked.Increment(ref _loads);
            if (index == FailAt) throw new DataFormatException($"sample {index}", "broken");
            target.Depth.Fill(epoch);
            return new SampleInfo(index, null, []);
        }
    }
}

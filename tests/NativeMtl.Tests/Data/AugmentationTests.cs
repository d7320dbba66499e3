using NativeMtl.Data;

namespace NativeMtl.Tests.Data;

public class AugmentationTests
{
    /// <summary>A 4×6 sample: image channel c at (y, x) is 10y + x + 100c, label 10y + x − 1, depth 10y + x + 1,
    /// normal (x, y, 1) / |(x, y, 1)|.</summary>
    private static DenseSample Source()
    {
        var s = new DenseSample(4, 6, DenseFields.Mtan);
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 6; x++)
            {
                int p = y * 6 + x;
                for (int c = 0; c < 3; c++) s.Image[c * 24 + p] = 10 * y + x + 100 * c;
                s.Labels[p] = 10 * y + x - 1;
                s.Depth[p] = 10 * y + x + 1;
                float norm = MathF.Sqrt(x * x + y * y + 1);
                (s.Normals[p], s.Normals[24 + p], s.Normals[48 + p]) = (x / norm, y / norm, 1 / norm);
            }
        }
        return s;
    }

    private static DenseSample Apply(ScaleCropFlip transform)
    {
        var target = new DenseSample(4, 6, DenseFields.Mtan);
        transform.Apply(Source().View(), target.View());
        return target;
    }

    [Fact]
    public void AFlipMirrorsEveryFieldAndNegatesTheNormalsX()
    {
        var source = Source();
        var flipped = Apply(new ScaleCropFlip(1.0, 0, 0, Flip: true));
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 6; x++)
            {
                int p = y * 6 + x, mirror = y * 6 + 5 - x;
                Assert.Equal(source.Image[mirror], flipped.Image[p]);
                Assert.Equal(source.Labels[mirror], flipped.Labels[p]);
                Assert.Equal(source.Depth[mirror], flipped.Depth[p]);
                Assert.Equal(-source.Normals[mirror], flipped.Normals[p]);
                Assert.Equal(source.Normals[24 + mirror], flipped.Normals[24 + p]);
                Assert.Equal(source.Normals[48 + mirror], flipped.Normals[48 + p]);
            }
        }
    }

    [Fact]
    public void ScaleOneWithoutAFlipChangesNothing()
    {
        var source = Source();
        var same = Apply(new ScaleCropFlip(1.0, 0, 0, Flip: false));
        Assert.Equal(source.Image, same.Image);
        Assert.Equal(source.Labels, same.Labels);
        Assert.Equal(source.Depth, same.Depth);
        Assert.Equal(source.Normals, same.Normals);
    }

    [Fact]
    public void EnlargingPicksNearestNeighboursAndDividesDepthByTheScale()
    {
        // Scale 1.5: 4×6 becomes 6×9; the crop at (1, 2) reads source row ⌊(y + 1)·4/6⌋ and column ⌊(x + 2)·6/9⌋.
        var source = Source();
        var scaled = Apply(new ScaleCropFlip(1.5, 1, 2, Flip: false));
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 6; x++)
            {
                int p = y * 6 + x, q = (int)MathF.Floor((y + 1) * (4f / 6)) * 6 + (int)MathF.Floor((x + 2) * (6f / 9));
                Assert.Equal(source.Depth[q] / 1.5f, scaled.Depth[p]);
                Assert.Equal(source.Labels[q], scaled.Labels[p]);
                Assert.Equal(source.Normals[q], scaled.Normals[p]);
            }
        }
    }

    [Fact]
    public void TheImageIsEnlargedBilinearlyByPyTorchsRule()
    {
        // F.interpolate([[0, 1], [2, 3]], scale_factor=2, mode='bilinear', align_corners=False) starts
        // [[0, 0.25, ...], [0.5, 0.75, ...]]; the crop at (0, 0) keeps that corner.
        var source = new DenseSample(2, 2, DenseFields.Mtan);
        float[] corner = [0, 1, 2, 3];
        corner.CopyTo(source.Image, 0);
        var target = new DenseSample(2, 2, DenseFields.Mtan);
        new ScaleCropFlip(2.0, 0, 0, false).Apply(source.View(), target.View());
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f], target.Image[..4]);
    }

    [Fact]
    public void DrawsUseTheConfiguredScalesKeepTheCropInsideAndFlipAboutHalfTheTime()
    {
        var augmentation = new RandomScaleCrop(seed: 11);
        var draws = Enumerable.Range(0, 400).Select(i => augmentation.Draw(288, 384, i, 0)).ToList();
        Assert.Equal([1.0, 1.2, 1.5], draws.Select(d => d.Scale).Distinct().Order());
        Assert.All(draws, d =>
        {
            Assert.InRange(d.Top, 0, (int)(288 * d.Scale) - 288);
            Assert.InRange(d.Left, 0, (int)(384 * d.Scale) - 384);
        });
        Assert.InRange(draws.Count(d => d.Flip), 160, 240);
        Assert.Equal(draws[17], new RandomScaleCrop(seed: 11).Draw(288, 384, 17, 0));
        Assert.NotEqual(draws[17], augmentation.Draw(288, 384, 17, 1));
    }

    [Fact]
    public void ACropOutsideTheEnlargedImageIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Apply(new ScaleCropFlip(1.2, 0, 3, false)));
        Assert.Equal("ScaleCropFlip: a 4×6 crop at (0, 3) leaves the 4×7 enlarged image", e.Message);
    }
}

namespace NativeMtl.Models;

/// <summary>
/// The searched modules' cells as one graph over <c>loc</c>: the taps, then every task's cells. A cell may read a tap,
/// an earlier cell of its own task, or a cell of an earlier task (in the model's task order) with a lower index: the
/// inputs seed 001's generation order (cell index first, then task; Fig. 2d) makes available, which
/// <see cref="AuxiliarySearchSpace"/> enumerates.
/// </summary>
internal static class AuxiliaryCellGraph
{
    /// <summary>Each task's cells, built in generation order (so a seed fixes them whatever the config's order), each
    /// sized for the channels of what it reads; a cell reading what it may not is refused naming it.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<AuxiliaryCell>> Build(IReadOnlyDictionary<string, IReadOnlyList<AuxiliaryCellSpec>> cells,
        IReadOnlyList<string> tasks, IReadOnlyList<int> tapChannels, int width, BuildContext context)
    {
        foreach (var (task, list) in cells)
            if (list.Count == 0) throw new ArgumentException($"auxiliary modules: cells.{task} is empty");
        var built = tasks.ToDictionary(t => t, _ => new List<AuxiliaryCell>());
        int Channels(string task, int cell, CellInput input)
        {
            switch (input)
            {
                case TapInput tap when tap.Index < tapChannels.Count:
                    return tapChannels[tap.Index];
                case CellOutputInput c when built.TryGetValue(c.Task, out var made) && c.Cell < cell && c.Cell < made.Count
                                            && tasks.ToList().IndexOf(c.Task) <= tasks.ToList().IndexOf(task):
                    return made[c.Cell].OutChannels;
                default:
                    throw new ArgumentException($"auxiliary modules: cells.{task}[{cell}] cannot read {input} (it reads taps 0 to {tapChannels.Count - 1}, " +
                        $"cells of its own task before it, and cells of the tasks before {task} ({string.Join(", ", tasks)}) with an index below {cell})");
            }
        }
        int longest = tasks.Max(t => cells[t].Count);
        for (int p = 0; p < longest; p++)
            foreach (var task in tasks.Where(t => p < cells[t].Count))
            {
                var spec = cells[task][p];
                built[task].Add(new AuxiliaryCell(spec, Channels(task, p, spec.First), Channels(task, p, spec.Second), width, context));
            }
        return built.ToDictionary(b => b.Key, b => (IReadOnlyList<AuxiliaryCell>)b.Value);
    }

    /// <summary>
    /// <c>loc</c>'s tensors in one forward pass: the taps read from the encoder's output, each cell run once, when first
    /// read, and owned by <paramref name="scope"/> (however deep in other cells' and modules' scopes it was first read,
    /// since every module may read it again); everything at the encoder features' size.
    /// </summary>
    public sealed class Nodes(DisposeScope scope, EncoderOutput encoded, IReadOnlyList<(int Stage, int Block)> taps, Func<CellOutputInput, AuxiliaryCell> cells)
    {
        private readonly Dictionary<CellOutputInput, Tensor> _made = [];

        public int Height => encoded.Features.Shape[2];

        public int Width => encoded.Features.Shape[3];

        public Tensor Tap(int index) => encoded.Blocks[taps[index].Stage][taps[index].Block];

        public Tensor Cell(CellOutputInput cell)
        {
            if (_made.TryGetValue(cell, out var made)) return made;
            return _made[cell] = scope.Adopt(cells(cell).Forward(this));
        }

        /// <summary><paramref name="x"/> at the features' size (resized bilinearly if it is not).</summary>
        public Tensor Resized(Tensor x) => x.Shape[2] == Height && x.Shape[3] == Width ? x : F.UpsampleBilinear2d(x, Height, Width);

        public Tensor Node(CellInput input) => input is TapInput tap ? Tap(tap.Index) : Cell((CellOutputInput)input);
    }
}

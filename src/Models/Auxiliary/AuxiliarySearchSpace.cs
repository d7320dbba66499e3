namespace NativeMtl.Models;

/// <summary>
/// Seed 001's search space (§3.3, Fig. 2) as a sequence of categorical decisions: P cells for each of T tasks,
/// generated cell index first and task second (cell 0 of every task, then cell 1 of every task, …, Fig. 2d), five
/// decisions per cell: its two inputs, its two adaptor operations (<see cref="AdaptorOp"/>) and its aggregator
/// (sum, concat). Cell p of the t-th task reads from <c>loc</c>: the encoder's taps, then the cells q &lt; p of the
/// tasks 1 to t in generation order, so a task's module can build on its own earlier cells and on earlier tasks'.
/// </summary>
public sealed class AuxiliarySearchSpace
{
    private const int DecisionsPerCell = 5;

    private readonly string[] _tasks;

    public AuxiliarySearchSpace(int taps, IReadOnlyList<string> tasks, int cellsPerTask)
    {
        if (taps < 1) throw new ArgumentException($"search space: {taps} taps; the cells need at least one");
        if (tasks.Count == 0) throw new ArgumentException("search space: no tasks");
        if (cellsPerTask < 1) throw new ArgumentException($"search space: {cellsPerTask} cells per task; at least 1");
        if (tasks.Distinct().Count() != tasks.Count) throw new ArgumentException($"search space: tasks [{string.Join(", ", tasks)}] repeat");
        Taps = taps;
        _tasks = [.. tasks];
        CellsPerTask = cellsPerTask;
        Choices = Order().SelectMany(c => Locations(c.Task, c.Cell).Count is var inputs ? new[] { inputs, inputs, AdaptorOps.All.Count, AdaptorOps.All.Count, 2 } : []).ToArray();
    }

    public int Taps { get; }

    public IReadOnlyList<string> Tasks => _tasks;

    public int CellsPerTask { get; }

    /// <summary>How many options each decision has, in generation order (5·P·T decisions).</summary>
    public IReadOnlyList<int> Choices { get; }

    /// <summary>The inputs cell <paramref name="cell"/> of <paramref name="task"/> may read, in token order.</summary>
    public IReadOnlyList<CellInput> Locations(string task, int cell)
    {
        int t = TaskIndex(task);
        var earlier = Order().Where(c => c.Cell < cell && TaskIndex(c.Task) <= t).Select(c => (CellInput)new CellOutputInput(c.Task, c.Cell));
        return [.. Enumerable.Range(0, Taps).Select(i => (CellInput)new TapInput(i)), .. earlier];
    }

    /// <summary>The cells a token sequence describes, by task in the space's task order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<AuxiliaryCellSpec>> Decode(IReadOnlyList<int> tokens)
    {
        if (tokens.Count != Choices.Count) throw new ArgumentException($"search space: {tokens.Count} tokens for {Choices.Count} decisions");
        for (int i = 0; i < tokens.Count; i++)
            if (tokens[i] < 0 || tokens[i] >= Choices[i]) throw new ArgumentException($"search space: token {i} is {tokens[i]}, outside 0 to {Choices[i] - 1}");
        var cells = Tasks.ToDictionary(t => t, _ => new List<AuxiliaryCellSpec>());
        int at = 0;
        foreach (var (task, cell) in Order())
        {
            var loc = Locations(task, cell);
            cells[task].Add(new AuxiliaryCellSpec(loc[tokens[at]], loc[tokens[at + 1]], (AdaptorOp)tokens[at + 2], (AdaptorOp)tokens[at + 3],
                tokens[at + 4] == 0 ? AggregatorKind.Sum : AggregatorKind.Concat));
            at += DecisionsPerCell;
        }
        return cells.ToDictionary(c => c.Key, c => (IReadOnlyList<AuxiliaryCellSpec>)c.Value);
    }

    /// <summary>The tokens of given cells (every task of the space, <see cref="CellsPerTask"/> each, inputs within
    /// reach): the inverse of <see cref="Decode"/>.</summary>
    public int[] Encode(IReadOnlyDictionary<string, IReadOnlyList<AuxiliaryCellSpec>> cells)
    {
        var tokens = new List<int>();
        if (cells.Keys.Except(Tasks).FirstOrDefault() is { } stranger) throw new ArgumentException($"search space: no task '{stranger}' (has {string.Join(", ", Tasks)})");
        foreach (var (task, cell) in Order())
        {
            if (!cells.TryGetValue(task, out var list) || list.Count != CellsPerTask)
                throw new ArgumentException($"search space: task '{task}' needs {CellsPerTask} cells");
            var spec = list[cell];
            var loc = Locations(task, cell);
            int Where(CellInput input) => loc.ToList().IndexOf(input) is var i and >= 0 ? i
                : throw new ArgumentException($"search space: {task}.{cell} cannot read {input}");
            tokens.AddRange([Where(spec.First), Where(spec.Second), (int)spec.FirstOp, (int)spec.SecondOp, spec.Aggregator == AggregatorKind.Sum ? 0 : 1]);
        }
        return [.. tokens];
    }

    /// <summary>The cells in generation order: cell index first, task second.</summary>
    private IEnumerable<(string Task, int Cell)> Order() =>
        Enumerable.Range(0, CellsPerTask).SelectMany(p => Tasks.Select(t => (t, p)));

    private int TaskIndex(string task) => Array.IndexOf(_tasks, task) is var i and >= 0 ? i
        : throw new ArgumentException($"search space: no task '{task}' (has {string.Join(", ", Tasks)})");
}

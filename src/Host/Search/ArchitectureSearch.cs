using System.Diagnostics;
using System.Globalization;
using NativeMtl.Host.Commands;
using NativeMtl.Host.Config;
using NativeMtl.Host.Sweep;
using NativeMtl.Host.Training;
using NativeMtl.Models;

namespace NativeMtl.Host.Search;

/// <summary>
/// Seed 001's search of auxiliary modules (§3.3): the controller samples a batch of architectures (cells for every
/// searched task), each is trained as a short child run (an ordinary run folder, children/NNN, from the search's
/// config with those cells) and rewarded by its main tasks' validation metrics (<see cref="SearchReward"/>), then PPO
/// updates the controller on the batch. The best child's architecture is written as best.yaml, a train config. The
/// search is resumable: <see cref="SearchLog"/> replays what was done, and an unfinished child resumes from its
/// checkpoint.
/// </summary>
internal sealed class ArchitectureSearch
{
    private readonly SearchSpec _spec;
    private readonly TrainConfig _config;
    private readonly AuxiliarySearchSpace _space;
    private readonly IReadOnlyList<string> _mainTasks;

    public ArchitectureSearch(SearchSpec spec)
    {
        _spec = spec;
        _config = ConfigReader.Read(spec.Base, [.. spec.Set.Select(ConfigOverride.Parse), .. spec.ChildSet.Select(ConfigOverride.Parse)]);
        var names = _config.Tasks.Select(t => t.Name).ToList();
        var tasks = spec.Tasks ?? names;
        if (tasks.FirstOrDefault(t => !names.Contains(t)) is { } stranger)
            throw new ConfigException($"search: tasks: '{stranger}' is not a task of the config ({string.Join(", ", names)})");
        if (_config.Model.AuxiliaryModules is { } given && (given.Adaptor != "conv1x1" || given.Aggregator != "concat" || given.Cells is not null))
            throw new ConfigException("search: the config's model.auxiliary_modules may set stages, taps and channels only: the search chooses the cells");
        int taps;
        try
        {
            using var encoder = RunSetup.Encoder(_config.Model);
            taps = AuxiliaryModules.TapsOf(RunSetup.Auxiliary(_config.Model.AuxiliaryModules ?? new AuxiliaryModulesConfig()), encoder).Length;
        }
        catch (ArgumentException e)
        {
            throw new ConfigException($"search: model: {e.Message}");
        }
        // The hierarchy follows the config's task order, as the model builds the cells in it.
        _space = new AuxiliarySearchSpace(taps, names.Where(tasks.Contains).ToList(), spec.Cells ?? taps);
        _mainTasks = _config.Tasks.Where(t => t.Role == TaskRoleName.Main).Select(t => t.Name).ToList();
    }

    public AuxiliarySearchSpace Space => _space;

    public string LogPath => Path.Combine(_spec.Out, "search.jsonl");

    public string BestConfig => Path.Combine(_spec.Out, "best.yaml");

    public int Run(TextWriter output, CancellationToken cancellation)
    {
        using var claim = RunLock.Acquire(_spec.Out, "search");
        using var log = SearchLog.Open(LogPath);
        using var controller = new ArchitectureController(_space.Choices, _spec.Controller.Controller, _spec.Seed);
        using var ppo = new ControllerPpo(controller, _spec.Controller.Ppo);
        // Samples come from a stream of their own, so that the controller's initial weights do not shift them.
        var sampling = new Generator(_spec.Seed ^ 0x5A3C_0E11_D00D_F00DUL);
        var children = new List<SearchChild>();
        var clock = Stopwatch.StartNew();
        int trained = 0;
        output.WriteLine($"search: {_spec.Children} children of {_spec.ChildSteps} steps, {_spec.Batch} per controller update; " +
            $"{_space.CellsPerTask} cells for each of {string.Join(", ", _space.Tasks)} over {_space.Taps} taps ({_space.Choices.Count} decisions); reward: main tasks {string.Join(", ", _mainTasks)}" +
            (log.Children.Count > 0 ? $"; {log.Children.Count} {(log.Children.Count == 1 ? "child" : "children")} done before" : ""));
        for (int update = 0; update < _spec.Children / _spec.Batch; update++)
        {
            var batch = new List<(int[] Tokens, double Reward)>();
            for (int k = 0; k < _spec.Batch; k++)
            {
                int index = update * _spec.Batch + k;
                var tokens = controller.Sample(sampling);
                var child = index < log.Children.Count ? Logged(log.Children[index], index, tokens) : null;
                if (child is null)
                {
                    var started = clock.Elapsed;
                    child = Train(index, tokens, output, cancellation);
                    if (child is null)
                    {
                        output.WriteLine("search: stopped; run the same command again to continue where it left off");
                        return ExitCodes.Interrupted;
                    }
                    log.Append(child);
                    trained++;
                    var best = children.Append(child).MaxBy(x => x.Reward)!;
                    double perChild = clock.Elapsed.TotalSeconds / trained, left = perChild * (_spec.Children - index - 1);
                    output.WriteLine($"search: child {index + 1} of {_spec.Children}: reward {child.Reward:F4} in {(clock.Elapsed - started).TotalSeconds:F0} s " +
                        $"(best {best.Reward:F4}, child {best.Index + 1}; about {SweepRunner.Duration(left)} left)");
                }
                children.Add(child);
                batch.Add((tokens, child.Reward));
                if (ReferenceEquals(children.MaxBy(x => x.Reward), child)) WriteBest(child);
            }
            ppo.Update(batch);
            if (update * _spec.Batch + _spec.Batch > log.Children.Count) log.AppendUpdate(update, ppo.Baseline ?? double.NaN);
        }
        var winner = children.MaxBy(x => x.Reward)!;
        output.WriteLine($"search: done; the best architecture (child {winner.Index + 1}, reward {winner.Reward:F4}) is {BestConfig}; every child is in {LogPath}");
        output.WriteLine($"search: the controller's most likely architecture now: {Flow(_space.Decode(controller.MostLikely()))}");
        return ExitCodes.Success;
    }

    /// <summary>A logged child, checked to be the one the replayed controller samples: a log of another search (another
    /// seed, space or controller) is refused rather than mixed in.</summary>
    private SearchChild Logged(SearchChild logged, int index, int[] tokens) =>
        logged.Index == index && logged.Tokens.SequenceEqual(tokens) ? logged
            : throw new RunInputException($"{LogPath}: child {index + 1} was logged with another architecture than this search samples " +
                "(its seed, tasks, cells or controller settings differ from the search that wrote it); give the search a new out folder");

    /// <summary>Trains one child (or resumes it) and reads its reward; null when the search was cancelled.</summary>
    private SearchChild? Train(int index, int[] tokens, TextWriter output, CancellationToken cancellation)
    {
        var cells = _space.Decode(tokens);
        var folder = Path.Combine("children", index.ToString("000", CultureInfo.InvariantCulture));
        var path = Path.Combine(_spec.Out, folder);
        var run = new RunFolder(path);
        if (!run.IsFinished)
        {
            var arguments = Directory.Exists(path)
                ? new TrainArguments { Resume = path }
                : new TrainArguments { Config = _spec.Base, Set = [.. _spec.Set, .. _spec.ChildSet, $"model.auxiliary_modules.cells={Flow(cells)}"], Steps = _spec.ChildSteps, Out = path };
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var childLog = new StreamWriter(path + ".log", append: true) { AutoFlush = true };
            int code = TrainCommand.Run(arguments, childLog, childLog, cancellation);
            if (code == ExitCodes.Interrupted || cancellation.IsCancellationRequested) return null;
            // A child whose loss diverged (exit 1) is a poor architecture, not a broken search: it earns nothing.
            if (code == ExitCodes.Failed) output.WriteLine($"search: child {index + 1}'s training diverged ({path}.log); its reward is 0");
            else if (code != ExitCodes.Success)
                throw new RunInputException($"child {index + 1} could not train (exit {code}): {File.ReadLines(path + ".log").LastOrDefault()}");
        }
        var (reward, terms) = run.IsFinished ? SearchReward.Of(run.FinalMetrics, _mainTasks) : (0.0, []);
        return new SearchChild(index, tokens, cells.ToDictionary(c => c.Key, c => (IReadOnlyList<string>)c.Value.Select(s => s.ToString()).ToList()), reward, terms, folder);
    }

    /// <summary>best.yaml: the search's config (base and set, without the children's child_set and length) with the best
    /// child's cells, into a run folder of its own choosing.</summary>
    private void WriteBest(SearchChild child)
    {
        var cells = _space.Decode(child.Tokens);
        var config = ConfigReader.Read(_spec.Base, [.. _spec.Set.Select(ConfigOverride.Parse), ConfigOverride.Parse($"model.auxiliary_modules.cells={Flow(cells)}")]) with { Out = null };
        AtomicText.Write(BestConfig, $"# nativemtl search: child {child.Index + 1}, reward {child.Reward.ToString("F4", CultureInfo.InvariantCulture)} ({child.Folder})\n" + ConfigWriter.ToYaml(config));
    }

    /// <summary>Each task's cells as flow YAML, as <c>--set</c> takes them.</summary>
    private static string Flow(IReadOnlyDictionary<string, IReadOnlyList<AuxiliaryCellSpec>> cells) =>
        $"{{{string.Join(", ", cells.Select(c => $"{c.Key}: [{string.Join(", ", c.Value)}]"))}}}";

}

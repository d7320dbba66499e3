using NativeMtl.Host.Config;

namespace NativeMtl.Tests.HostLayer;

public class ConfigTests
{
    private static TrainConfig Parse(string yaml, params string[] sets) =>
        ConfigReader.Parse(yaml, "run.yaml", sets.Select(ConfigOverride.Parse).ToList());

    private static string ErrorOf(string yaml, params string[] sets) => Assert.Throws<ConfigException>(() => Parse(yaml, sets)).Message;

    [Fact]
    public void WithoutAFileTheConfigIsTheEmbeddedDefaultRun()
    {
        var config = ConfigReader.Read(null, []);
        Assert.Equal(ConfigWriter.ToYaml(new TrainConfig()), ConfigWriter.ToYaml(config));
        Assert.Equal("auxilight", config.Balancer.Name);
        Assert.Equal([new TaskEntry("seg", "main"), new TaskEntry("depth", "auxiliary"), new TaskEntry("normal", "auxiliary")], config.Tasks);
        Assert.Equal(("synthetic", 96, 128), (config.Data.Dataset, config.Data.Height, config.Data.Width));
        Assert.Equal(("hps", "resnet_small", "conv"), (config.Model.Architecture, config.Model.Encoder, config.Model.Head));
        Assert.Equal("auto", config.Device);
    }

    [Fact]
    public void FieldsNotGivenKeepTheirDefaults()
    {
        var config = Parse("optimizer:\n  lr: 0.01\n");
        Assert.Equal(0.01, config.Optimizer.Lr);
        Assert.Equal(new TrainConfig().Optimizer.Momentum, config.Optimizer.Momentum);
        Assert.Equal(new TrainConfig().Training, config.Training);
    }

    [Fact]
    public void TheResolvedYamlReadsBackToTheSameConfig()
    {
        var config = Parse(TrainTestKit.TinyConfig + "\nbalancer: {name: rlw, seed: 3}\nschedule: {name: poly, power: 0.8}\n",
            "model.auxiliary_modules={stages: [1, 2], tasks: [depth]}", "balancer.seed=4");
        var yaml = ConfigWriter.ToYaml(config);
        Assert.Equal(yaml, ConfigWriter.ToYaml(ConfigReader.Parse(yaml, "config.yaml", [])));
        Assert.Contains("  seed: 4\n", yaml);
        Assert.Contains("  widths: [8, 16, 16]\n", yaml);
    }

    [Fact]
    public void DeepSupervisionIsOffByDefaultAndTakesItsTasksAndWeight()
    {
        Assert.Null(Parse("seed: 1\n").Model.DeepSupervision);
        Assert.Equal(new DeepSupervisionConfig { Tasks = null, Weight = 0.1 }, Parse("model:\n  deep_supervision: {}\n").Model.DeepSupervision);
        var chosen = Parse("model:\n  deep_supervision: {tasks: [seg, depth], weight: 0.3}\n").Model.DeepSupervision!;
        Assert.Equal(["seg", "depth"], chosen.Tasks!);
        Assert.Equal(0.3, chosen.Weight);
    }

    [Fact]
    public void DeepSupervisionWritesBackToTheSameConfig()
    {
        var config = Parse(TrainTestKit.TinyConfig, "model.deep_supervision={tasks: [depth], weight: 0.2}");
        var yaml = ConfigWriter.ToYaml(config);
        Assert.Contains("  deep_supervision:\n    tasks: [depth]\n    weight: 0.2\n", yaml);
        Assert.Equal(yaml, ConfigWriter.ToYaml(ConfigReader.Parse(yaml, "config.yaml", [])));
        Assert.Contains("  deep_supervision: null\n", ConfigWriter.ToYaml(Parse(TrainTestKit.TinyConfig)));
    }

    [Fact]
    public void DeepSupervisionOfAnUnknownTaskIsAnErrorNamingTheField() =>
        Assert.Equal("config run.yaml line 2: model.deep_supervision.tasks: 'edges' is not one of the tasks (seg, depth, normal)",
            ErrorOf("model:\n  deep_supervision: {tasks: [seg, edges]}\n"));

    [Fact]
    public void ADeepSupervisionWeightAtOrBelowZeroIsOutOfRange() =>
        Assert.Equal("config run.yaml line 2: model.deep_supervision.weight: 0 must be greater than 0",
            ErrorOf("model:\n  deep_supervision: {weight: 0}\n"));

    [Fact]
    public void SetChangesAFieldWithAYamlValueAndCreatesMissingSections()
    {
        var config = Parse("seed: 1\n", "optimizer.lr=0.25", "model.widths=[4, 8, 8]", "tasks={seg: main, depth: auxiliary}");
        Assert.Equal(0.25, config.Optimizer.Lr);
        Assert.Equal([4, 8, 8], config.Model.Widths);
        Assert.Equal(["seg", "depth"], config.Tasks.Select(t => t.Name));
    }

    [Fact]
    public void OverridesApplyInOrderAfterTheFile()
    {
        var config = Parse("optimizer:\n  lr: 0.1\n", "optimizer.lr=0.2", "optimizer.lr=0.3");
        Assert.Equal(0.3, config.Optimizer.Lr);
    }

    [Fact]
    public void BalancerHyperparametersArePassedToTheBalancerAsWritten()
    {
        var config = Parse("balancer:\n  name: auxilight\n  beta: 0.5\n  mode: feature\n");
        Assert.Equal([new("beta", "0.5"), new("mode", "feature")], config.Balancer.Options);
    }

    [Fact]
    public void GivingEpochsReplacesTheDefaultStepCount()
    {
        var config = Parse("training:\n  epochs: 3\n");
        Assert.Equal((null, 3), (config.Training.Steps, config.Training.Epochs));
    }

    [Fact]
    public void AdamGetsItsOwnDefaultLearningRate()
    {
        var config = Parse("optimizer: {name: adamw}\n");
        Assert.Equal((1e-3, 1e-2), (config.Optimizer.Lr, config.Optimizer.WeightDecay));
    }

    [Fact]
    public void AYamlSyntaxErrorNamesTheFileLineAndColumn() =>
        Assert.Equal("config run.yaml line 3, column 18: YAML syntax error: While scanning a plain scalar value, found invalid mapping.",
            ErrorOf("training:\n  steps: 3\n  batch_size 2: 1: 0\n"));

    [Fact]
    public void AnUnclosedListIsASyntaxErrorOnTheLineThatOpensIt()
    {
        Assert.Equal("config run.yaml line 2: YAML syntax error: the [ on this line is never closed", ErrorOf("model:\n  widths: [8, 16\ntraining:\n  steps: 3\n"));
        Assert.Equal("config run.yaml line 2: YAML syntax error: the [ on this line is never closed", ErrorOf("model:\n  widths: [8, 16"));
    }

    [Fact]
    public void AnUnknownFieldNamesItsLineAndTheKnownFieldsOfItsSection() =>
        Assert.Equal("config run.yaml line 3: unknown field 'optimizer.learning_rate' (known in optimizer: name, lr, momentum, nesterov, weight_decay, betas, eps)",
            ErrorOf("seed: 1\noptimizer:\n  learning_rate: 0.1\n"));

    [Fact]
    public void AnUnknownTopLevelFieldListsTheSections() =>
        Assert.Equal("config run.yaml line 1: unknown field 'optimiser' (known: plugins, seed, device, out, data, tasks, model, balancer, optimizer, schedule, training)",
            ErrorOf("optimiser:\n  lr: 0.1\n"));

    [Fact]
    public void AValueOfTheWrongTypeNamesTheFieldAndItsLine() =>
        Assert.Equal("config run.yaml line 2: training.steps: expected an integer, got 'many'", ErrorOf("training:\n  steps: many\n"));

    [Fact]
    public void AListWhereANumberBelongsIsAWrongType() =>
        Assert.Equal("config run.yaml line 2: optimizer.lr: expected a number, got a list", ErrorOf("optimizer:\n  lr: [1, 2]\n"));

    [Fact]
    public void AnOutOfRangeValueSaysTheRange() =>
        Assert.Equal("config run.yaml line 2: training.batch_size: 0 is too small (at least 1)", ErrorOf("training:\n  batch_size: 0\n"));

    [Fact]
    public void AWrongValueFromSetNamesTheOverride() =>
        Assert.Equal("--set optimizer.lr=fast: optimizer.lr: expected a number, got 'fast'", ErrorOf("", "optimizer.lr=fast"));

    [Fact]
    public void AnUnknownFieldFromSetNamesTheOverride() =>
        Assert.StartsWith("--set optimizer.momentun=0.5: unknown field 'optimizer.momentun'", ErrorOf("", "optimizer.momentun=0.5"));

    [Fact]
    public void SetWithoutAnEqualsSignSaysWhatItExpects() =>
        Assert.Equal("--set optimizer.lr: expected FIELD=VALUE, such as optimizer.lr=0.01", ErrorOf("", "optimizer.lr"));

    [Fact]
    public void AnUnknownBalancerListsTheKnownOnes() =>
        Assert.Equal("config run.yaml line 2: balancer.name: unknown value 'auxlight' (known: aligned_mtl, autolambda, auxilight, cagrad, classwise, db_mtl, dwa, equal, famo, fixed, gls, graddrop, gradnorm, gradsim, gradvac, ial, imtl, lsb, mgda, nash_mtl, olaux, pareto_mtl, pcgrad, rlw, uncertainty, upgrad)",
            ErrorOf("balancer:\n  name: auxlight\n"));

    [Fact]
    public void AnUnknownBalancerOptionIsAnErrorAtItsLine() =>
        Assert.Equal("config run.yaml line 4: balancer: balancer auxilight: unknown option 'betta' (known: beta, gram, initial_weight, min_weight, mode)",
            ErrorOf("seed: 0\nbalancer:\n  name: auxilight\n  betta: 0.2\n"));

    [Fact]
    public void AnUnknownTaskListsTheKnownOnes() =>
        Assert.Equal("config run.yaml line 3: tasks: unknown task 'segmentation' (known: seg, depth, normal, curvature, coordinates, noise, seg_noisy, pose, reconstruction)",
            ErrorOf("tasks:\n  depth: auxiliary\n  segmentation: main\n"));

    [Fact]
    public void ATaskOfAnotherDatasetIsRefusedWithTheDatasetsTasks() =>
        Assert.Equal("config run.yaml line 2: tasks: seg is not a task of data.dataset pose (its tasks: pose, depth, normal, curvature, reconstruction)",
            ErrorOf("tasks:\n  seg: main\ndata:\n  dataset: pose\n"));

    [Fact]
    public void ThePoseDatasetsFieldsDoNotApplyToTheScenes() =>
        Assert.Equal("config run.yaml line 2: data.crop does not apply with data.dataset synthetic", ErrorOf("data:\n  crop: false\n"));

    [Fact]
    public void AnUnknownRoleListsTheRoles() =>
        Assert.Equal("config run.yaml line 2: tasks.depth: unknown value 'aux' (known: main, auxiliary)", ErrorOf("tasks:\n  depth: aux\n  seg: main\n"));

    [Fact]
    public void TasksWithoutAMainTaskAreAnError() =>
        Assert.Equal("config run.yaml line 2: tasks: no task is main: at least one must be (auxiliary tasks only help main ones)",
            ErrorOf("tasks:\n  depth: auxiliary\n"));

    [Fact]
    public void AFieldTheChosenOptimizerDoesNotUseIsAnError() =>
        Assert.Equal("config run.yaml line 3: optimizer.momentum does not apply with optimizer.name adam", ErrorOf("optimizer:\n  name: adam\n  momentum: 0.9\n"));

    [Fact]
    public void StepsAndEpochsTogetherAreAnError() =>
        Assert.Equal("config run.yaml line 2: training.steps and training.epochs are both set: give one (the other null)",
            ErrorOf("training:\n  epochs: 2\n  steps: 100\n"));

    [Fact]
    public void AnMtanDatasetNeedsAPath() =>
        Assert.Equal("config run.yaml line 2: data.path: required when data.dataset is mtan (the folder holding train/ and val/)", ErrorOf("data:\n  dataset: mtan\n"));

    [Fact]
    public void TheHashIgnoresTheDeviceAndTheRunFolderButNotTheTraining()
    {
        var config = Parse(TrainTestKit.TinyConfig);
        Assert.Equal(ConfigWriter.Hash(config), ConfigWriter.Hash(config with { Device = "cuda:1", Out = "elsewhere" }));
        Assert.NotEqual(ConfigWriter.Hash(config), ConfigWriter.Hash(config with { Seed = 6 }));
    }
}

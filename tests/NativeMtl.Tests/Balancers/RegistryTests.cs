using NativeMtl.Balancers;

namespace NativeMtl.Tests.Balancers;

public class RegistryTests
{
    [Fact]
    public void EveryBalancerOfTheDesignIsRegisteredByName()
    {
        Assert.Equal(["aligned_mtl", "autolambda", "auxilight", "cagrad", "classwise", "db_mtl", "dwa", "equal", "famo", "fixed", "gls", "graddrop", "gradnorm", "gradsim", "gradvac", "ial", "imtl", "lsb", "mgda", "nash_mtl", "olaux", "pareto_mtl", "pcgrad", "rlw", "uncertainty", "upgrad"],
            BalancerRegistry.Names);
        Assert.All(BalancerRegistry.Names, name => Assert.Equal(name, BalancerRegistry.Create(name).Name));
    }

    [Fact]
    public void AnUnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => BalancerRegistry.Create("gradvaccine"));
        Assert.StartsWith("balancer registry: unknown name 'gradvaccine' (known: aligned_mtl, autolambda, auxilight, cagrad, classwise", e.Message);
    }

    [Fact]
    public void ANameCannotBeRegisteredTwice()
    {
        var e = Assert.Throws<ArgumentException>(() => BalancerRegistry.Register<EqualBalancer>("equal", _ => new EqualBalancer()));
        Assert.Equal("balancer registry: 'equal' is already registered", e.Message);
    }

    [Fact]
    public void AnOptionTheBalancerDoesNotKnowIsAnError()
    {
        var options = new BalancerOptions(new Dictionary<string, object?> { ["bta"] = 0.1 });
        var e = Assert.Throws<ArgumentException>(() => BalancerRegistry.Create("auxilight", options));
        Assert.Equal("balancer auxilight: unknown option 'bta' (known: beta, gram, initial_weight, min_weight, mode)", e.Message);
    }

    [Fact]
    public void AnOptionOfTheWrongKindIsAnError()
    {
        var options = new BalancerOptions(new Dictionary<string, object?> { ["mode"] = "approximate" });
        var e = Assert.Throws<ArgumentException>(() => BalancerRegistry.Create("auxilight", options));
        Assert.Equal("option 'mode': 'approximate' is not one of exact, jvp, feature", e.Message);
    }
}

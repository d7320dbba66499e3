namespace NativeMtl.Balancers;

/// <summary>Every balancer by its config name. A name is registered once; an unknown name lists the known ones.</summary>
public static class BalancerRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (Type Type, Func<BalancerOptions, IBalancer> Create)> Entries = [];

    static BalancerRegistry()
    {
        Register<EqualBalancer>("equal", o => new EqualBalancer());
        Register<FixedBalancer>("fixed", o => new FixedBalancer(o));
        Register<UncertaintyBalancer>("uncertainty", o => new UncertaintyBalancer(o));
        Register<DwaBalancer>("dwa", o => new DwaBalancer(o));
        Register<GlsBalancer>("gls", o => new GlsBalancer());
        Register<RlwBalancer>("rlw", o => new RlwBalancer(o));
        Register<GradNormBalancer>("gradnorm", o => new GradNormBalancer(o));
        Register<LsbBalancer>("lsb", o => new LsbBalancer(o));
        Register<GradSimBalancer>("gradsim", o => new GradSimBalancer(o));
        Register<OlAuxBalancer>("olaux", o => new OlAuxBalancer(o));
        Register<AuxiLightBalancer>("auxilight", o => new AuxiLightBalancer(o));
        Register<IalBalancer>("ial", o => new IalBalancer(o));
        Register<ClassWiseBalancer>("classwise", o => new ClassWiseBalancer(o));
        Register<AutoLambdaBalancer>("autolambda", o => new AutoLambdaBalancer(o));
        Register<PcGradBalancer>("pcgrad", o => new PcGradBalancer(o));
        Register<MgdaBalancer>("mgda", o => new MgdaBalancer(o));
        Register<ImtlBalancer>("imtl", o => new ImtlBalancer(o));
        Register<CaGradBalancer>("cagrad", o => new CaGradBalancer(o));
        Register<AlignedMtlBalancer>("aligned_mtl", o => new AlignedMtlBalancer(o));
        Register<UpGradBalancer>("upgrad", o => new UpGradBalancer(o));
        Register<GradVacBalancer>("gradvac", o => new GradVacBalancer(o));
        Register<FamoBalancer>("famo", o => new FamoBalancer(o));
        Register<DbMtlBalancer>("db_mtl", o => new DbMtlBalancer(o));
        Register<NashMtlBalancer>("nash_mtl", o => new NashMtlBalancer(o));
        Register<GradDropBalancer>("graddrop", o => new GradDropBalancer(o));
        Register<ParetoMtlBalancer>("pareto_mtl", o => new ParetoMtlBalancer(o));
    }

    public static IReadOnlyCollection<string> Names
    {
        get
        {
            lock (Gate) return Entries.Keys.Order().ToList();
        }
    }

    public static void Register<T>(string name, Func<BalancerOptions, IBalancer> create) where T : IBalancer
    {
        lock (Gate)
        {
            if (Entries.ContainsKey(name)) throw new ArgumentException($"balancer registry: '{name}' is already registered");
            if (Entries.Values.Any(e => e.Type == typeof(T))) throw new ArgumentException($"balancer registry: {typeof(T).Name} is already registered");
            Entries[name] = (typeof(T), create);
        }
    }

    /// <summary>A new balancer with its options; an option it does not know is an error.</summary>
    public static IBalancer Create(string name, BalancerOptions? options = null)
    {
        Func<BalancerOptions, IBalancer> create;
        lock (Gate)
        {
            if (!Entries.TryGetValue(name, out var entry))
                throw new ArgumentException($"balancer registry: unknown name '{name}' (known: {string.Join(", ", Entries.Keys.Order())})");
            create = entry.Create;
        }
        var o = options ?? BalancerOptions.None;
        var balancer = create(o);
        o.EnsureAllRead(name);
        return balancer;
    }

    internal static string NameOf(Type type)
    {
        lock (Gate) return Entries.FirstOrDefault(e => e.Value.Type == type).Key ?? type.Name;
    }
}

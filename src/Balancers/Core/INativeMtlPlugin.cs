namespace NativeMtl.Balancers;

/// <summary>
/// The entry point of a plug-in assembly: <c>nativemtl train --plugin PATH.dll</c> (or the config's <c>plugins</c>)
/// loads the assembly and calls <see cref="Register"/> once on a new instance of every public class that implements this
/// interface, which adds balancers (<see cref="BalancerRegistry.Register{T}"/>) and tasks
/// (<see cref="TaskRegistry.Register"/>) by name. The class needs a public constructor without parameters.
/// </summary>
public interface INativeMtlPlugin
{
    void Register();
}

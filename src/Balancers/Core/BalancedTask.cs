namespace NativeMtl.Balancers;

/// <summary>Whether a task is trained for its own sake (main) or only to help the main tasks (auxiliary).
/// With every task main, balancing is ordinary multi-task learning.</summary>
public enum TaskRole
{
    Main,
    Auxiliary,
}

public sealed record BalancedTask(string Name, TaskRole Role);

/// <summary>What a balancer needs from a training step (DESIGN.md section 6); the step computes exactly that.</summary>
public enum GradientLevel
{
    /// <summary>Only the task losses: one backward pass of a weighted sum.</summary>
    Losses,

    /// <summary>∂L_t/∂z for each task at the shared feature z, then one backward pass through the encoder.</summary>
    Feature,

    /// <summary>∂L_t/∂θ_shared for each task as a K×P matrix: K backward passes through the encoder.</summary>
    Parameters,

    /// <summary>A virtual step and re-evaluations of the losses at perturbed parameters.</summary>
    LookAhead,
}

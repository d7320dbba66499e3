namespace NativeMtl.Kernels;

public enum UnaryOp
{
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Relu,
    Sigmoid,
    Tanh,
    /// <summary>−1, 0 or +1.</summary>
    Sign,
    Square,
    Reciprocal,
}

/// <summary>Elementwise ops with two host scalar parameters <c>a</c> and <c>b</c>.</summary>
public enum ScalarOp
{
    /// <summary>y = x·a + b.</summary>
    MulAdd,
    /// <summary>y = x^a.</summary>
    Pow,
    /// <summary>y = min(max(x, a), b).</summary>
    Clamp,
    /// <summary>y = 1 where a ≤ x ≤ b, else 0 (the gradient mask of <see cref="Clamp"/>).</summary>
    InRange,
}

public enum BinaryOp
{
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    /// <summary>y = 1 where a == b, else 0.</summary>
    Equal,
    /// <summary>y = 1 where a &gt; b, else 0.</summary>
    Greater,
    /// <summary>y = a where b &gt; 0, else 0: the gradient of relu, given the incoming gradient a and the input b.</summary>
    ReluGrad,
    /// <summary>y = a·b·(1 − b): the gradient of sigmoid, given the incoming gradient a and the output b.</summary>
    SigmoidGrad,
    /// <summary>y = a·(1 − b²): the gradient of tanh, given the incoming gradient a and the output b.</summary>
    TanhGrad,
}

public enum ReduceOp
{
    Sum,
    Mean,
    Max,
    /// <summary>√(Σ x²).</summary>
    L2Norm,
}

public enum RandomDistribution
{
    /// <summary>Uniform on [a, b).</summary>
    Uniform,
    /// <summary>Normal with mean a and standard deviation b.</summary>
    Normal,
}

namespace NativeMtl;

/// <summary>Arithmetic operators on tensors, all differentiable.</summary>
public static class TensorOperators
{
    extension(Tensor)
    {
        public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);

        public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);

        public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);

        public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);

        public static Tensor operator -(Tensor x) => F.Neg(x);

        public static Tensor operator +(Tensor x, double s) => F.MulAdd(x, 1, s);

        public static Tensor operator +(double s, Tensor x) => F.MulAdd(x, 1, s);

        public static Tensor operator -(Tensor x, double s) => F.MulAdd(x, 1, -s);

        public static Tensor operator -(double s, Tensor x) => F.MulAdd(x, -1, s);

        public static Tensor operator *(Tensor x, double s) => F.MulAdd(x, s);

        public static Tensor operator *(double s, Tensor x) => F.MulAdd(x, s);

        public static Tensor operator /(Tensor x, double s) => F.MulAdd(x, 1 / s);
    }
}

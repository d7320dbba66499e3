using NativeMtl.Balancers;
using NativeMtl.Models;

namespace FocalLoss;

/// <summary>What <c>nativemtl train --plugin FocalLoss.dll</c> adds: the task <c>seg_focal</c> (segmentation with the
/// focal loss, γ = 2, validated by mIoU and pixel accuracy as seg is) and the balancer <c>inverse_loss</c>.</summary>
public sealed class FocalLossPlugin : INativeMtlPlugin
{
    public const double Gamma = 2;

    public void Register()
    {
        TaskRegistry.Register("seg_focal", request => new DenseTask(TaskSpec.Segmentation(request.Classes, "seg_focal"), request.Role,
            new FocalTaskLoss(Gamma), batch => batch.Labels, Metric: () => new SegmentationMetric(request.Classes)));
        BalancerRegistry.Register<InverseLossBalancer>("inverse_loss", options => new InverseLossBalancer(options));
    }
}

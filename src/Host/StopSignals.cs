using System.Runtime.InteropServices;

namespace NativeMtl.Host;

/// <summary>Ctrl-C and SIGTERM for a command that stops between steps: the first signal cancels the source (saying what
/// happens next on the error writer) and keeps the process alive; a second one ends it at once, as usual.</summary>
internal sealed class StopSignals : IDisposable
{
    private readonly PosixSignalRegistration _interrupt, _terminate;

    public StopSignals(CancellationTokenSource stop, TextWriter error, string message)
    {
        void Stop(PosixSignalContext context)
        {
            if (stop.IsCancellationRequested) return;
            context.Cancel = true;
            error.WriteLine(message);
            stop.Cancel();
        }
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
    }
}

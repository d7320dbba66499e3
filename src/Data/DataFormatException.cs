namespace NativeMtl.Data;

/// <summary>A data file is malformed or does not match what the dataset expects. The message is one line:
/// the file, then the defect.</summary>
public sealed class DataFormatException(string file, string defect) : Exception($"{file}: {defect}")
{
    public string File { get; } = file;

    public string Defect { get; } = defect;
}

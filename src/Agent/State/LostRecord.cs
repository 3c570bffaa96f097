namespace Agent.State;

/// <summary>
/// A state record that exists but cannot be read, and must never be read as "nothing recorded" (probe-15j M7: a torn
/// user-stops.json started what an operator had stopped). The file is kept aside (<see cref="StateFile.MoveAside"/>),
/// a marker <c>FILE.lost</c> says why and what the agent holds, and its owner errs on the side of not acting until the
/// operator deletes the marker. A command that only looks keeps the loss in memory and marks nothing.
/// </summary>
public sealed class LostRecord(string file, ILogger logger)
{
    private string? heldInMemory;

    public string Marker { get; } = file + ".lost";

    /// <summary>The record as <paramref name="parse"/> reads it (its content, or why it is torn), or null when there is
    /// none; a torn one is marked lost (<see cref="Mark"/>) and reads as null, which the owner must not take as "empty".</summary>
    public T? Read<T>(Func<string, (T? Value, string? Problem)> parse, string holds) where T : class
    {
        if (!File.Exists(file) && !Directory.Exists(file)) return null;
        T? value = null;
        string? problem;
        try
        {
            (value, problem) = parse(File.ReadAllText(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = Directory.Exists(file) ? "it is a folder, not a file" : e.Message;
        }
        if (problem is null) return value;
        Mark(problem, holds);
        return null;
    }

    /// <param name="holds">What the agent holds while the marker exists, for the operator.</param>
    /// <returns>Whether the marker was written (else the loss is held for this run only).</returns>
    public bool Mark(string reason, string holds)
    {
        var aside = File.Exists(file) || Directory.Exists(file)
            ? StateFile.MoveAside(file, reason, logger, $"and holding what it records until {Marker} is deleted (the next line says what is held); it is not read as empty")
            : null; // a record deleted whole has nothing to keep aside
        var text = $"{Path.GetFileName(file)} could not be read at {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z ({reason})" +
                   (aside is null ? "" : $"; it was kept aside as {Path.GetFileName(aside)}") +
                   $". Until {Marker} is deleted {holds}";
        logger.LogWarning("{Lost}", text);
        if (!StateFile.MayWrite)
        {
            heldInMemory = text;
            return false;
        }
        try
        {
            StateFile.Write(Marker, text + "\n");
            return true;
        }
        catch (StateWriteException e)
        {
            logger.LogWarning("The marker {Marker} cannot be written ({Error}); held for this run only", Marker, e.Message);
            heldInMemory = text;
            return false;
        }
    }

    /// <summary>The owner forgets the record altogether (its object is gone): no loss, no marker. Throws
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the marker cannot be deleted.</summary>
    public void Forget()
    {
        heldInMemory = null;
        if (StateFile.MayWrite) File.Delete(Marker);
    }

    /// <summary>Why the record is lost (the marker's text), or null: no loss, or the operator deleted the marker.</summary>
    public string? Why()
    {
        if (heldInMemory is not null) return heldInMemory;
        try
        {
            return File.Exists(Marker) ? File.ReadAllText(Marker).Trim() is { Length: > 0 } text ? text : $"{Marker} exists" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{Marker} cannot be read ({e.Message})";
        }
    }
}

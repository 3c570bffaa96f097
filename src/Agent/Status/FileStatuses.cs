using Agent.Core.Status;
using Agent.Sources;

namespace Agent.Status;

/// <summary>
/// Errors tied to no object (a file that does not parse far enough to name one, a binary file, a path that cannot be
/// read) as entries of kind "File" beside the objects, so `GET /api/v1/objects` and `agent get all` show them where a
/// user looks: Ready=False with the reason, Degraded=True, every error in manifestErrors.
/// </summary>
public static class FileStatuses
{
    public const string Kind = "File";

    public static ObjectStatus From(FileProblem problem) => new()
    {
        Kind = Kind,
        Name = problem.Path,
        Source = problem.Path,
        ManifestErrors = problem.Errors,
        Conditions =
        [
            new Condition(ConditionTypes.Ready, "False", problem.Reason, $"nothing in this file is applied: {problem.Errors[0]}", problem.Since),
            new Condition(ConditionTypes.Progressing, "False", problem.Reason, "waiting for the file to be fixed", problem.Since),
            new Condition(ConditionTypes.Degraded, "True", problem.Reason, problem.Errors[0], problem.Since),
        ],
    };
}

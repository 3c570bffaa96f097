using Agent.Core.Build;
using Agent.Core.Security;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// The last judgement of a Dockerfile before the builder runs it (POST /images/build and manifest builds): the image
/// allowlist and ADD of a URL as <see cref="BuildSpecs.RefusedDockerfile"/> reads them, then again with what each FROM
/// image brings, read from the engine (pulled first when missing, as the builder would): its environment, which the
/// builder substitutes in ADD, and its ONBUILD triggers, which the builder runs.
/// </summary>
public static class DockerfileAdmission
{
    public static async Task<string?> RefusedAsync(IContainerEngine engine, string dockerfile, string name, IReadOnlyDictionary<string, string> args,
        SecurityOptions options, CancellationToken ct)
    {
        if (BuildSpecs.RefusedDockerfile(dockerfile, name, args, options) is { } refused) return refused; // nothing outside the allowlist is pulled
        if (options.AllowRemoteBuildSources) return null;
        var bases = new Dictionary<string, BaseImageConfig>(StringComparer.Ordinal);
        foreach (var from in DockerfileImages.Of(dockerfile, args).Where(i => i.Instruction == "FROM" && !bases.ContainsKey(i.Image)))
        {
            var details = await engine.InspectImageDetailsAsync(from.Image, ct);
            if (details is null)
            {
                try
                {
                    await engine.PullImageAsync(from.Image, null, ct);
                }
                catch (EngineException e) when (e is not EngineUnavailableException)
                {
                    return $"{name} line {from.Line}: FROM image \"{from.Image}\" is not here and cannot be pulled ({e.Message}), so its ONBUILD triggers cannot be checked";
                }
                details = await engine.InspectImageDetailsAsync(from.Image, ct);
            }
            if (details is null) return $"{name} line {from.Line}: FROM image \"{from.Image}\" cannot be read, so its ONBUILD triggers cannot be checked";
            bases[from.Image] = new BaseImageConfig(details.Env, details.OnBuild ?? []);
        }
        return BuildSpecs.RefusedDockerfile(dockerfile, name, args, options, bases.GetValueOrDefault);
    }
}

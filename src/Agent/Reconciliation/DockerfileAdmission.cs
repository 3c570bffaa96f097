using System.Formats.Tar;
using System.Text;
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

    /// <summary>The Dockerfile at <paramref name="path"/> in the context tar (null when it is not there: the builder says so);
    /// the stream is left at its start.</summary>
    public static async Task<string?> DockerfileInTarAsync(Stream tar, string path, CancellationToken ct)
    {
        try
        {
            await using var reader = new TarReader(tar, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.Name.TrimStart('.', '/') != path.TrimStart('.', '/') || entry.DataStream is null) continue;
                using var text = new StreamReader(entry.DataStream, Encoding.UTF8, leaveOpen: true);
                return await text.ReadToEndAsync(ct);
            }
            return null;
        }
        catch (InvalidDataException)
        {
            return null; // not a tar: the builder answers that
        }
        finally
        {
            tar.Position = 0;
        }
    }
}

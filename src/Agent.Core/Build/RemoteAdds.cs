using System.Text.RegularExpressions;

namespace Agent.Core.Build;

/// <summary>What a build's base image brings into a stage: its environment (NAME=value) and its ONBUILD triggers.</summary>
public sealed record BaseImageConfig(IReadOnlyList<string> Env, IReadOnlyList<string> OnBuild);

/// <summary>An ADD source that is (or may become) a URL: its line, the source as the builder would use it (or as
/// written when a variable in it cannot be known before the build), and where it comes from.</summary>
public sealed record RemoteAdd(int Line, string Source, RemoteAddOrigin Origin, string? Image = null);

public enum RemoteAddOrigin
{
    /// <summary>An ADD of the Dockerfile, after its variables are substituted.</summary>
    Add,
    /// <summary>An ADD whose source starts with a variable not known before the build.</summary>
    Unresolved,
    /// <summary>ONBUILD ADD: a later build that starts FROM this image fetches it.</summary>
    OnBuild,
    /// <summary>An ONBUILD trigger of the FROM image (<see cref="RemoteAdd.Image"/>): this build runs it.</summary>
    BaseImageTrigger,
}

/// <summary>
/// The ADD sources the engine would fetch itself (from the host's own network), found the way the classic builder
/// finds them: every stage's variables as the builder substitutes them in ADD (the FROM image's environment, ENV,
/// ARG with build args over defaults over the global ARG, the proxy build args; ENV over ARG), the FROM image's
/// ONBUILD triggers run right after FROM, and ONBUILD ADD (fetched by whoever builds FROM this image). A source in
/// which a variable not known before the build could still form a URL counts as one. Without
/// <paramref name="baseImages"/> (no engine to ask) a FROM image brings nothing; a null answer means unknown.
/// </summary>
public static partial class RemoteAdds
{
    public static IReadOnlyList<RemoteAdd> Find(string dockerfile, IReadOnlyDictionary<string, string> buildArgs, Func<string, BaseImageConfig?>? baseImages = null)
    {
        var found = new List<RemoteAdd>();
        foreach (var escape in DockerfileLines.EscapeReadings(dockerfile))
            found.AddRange(new Walk(buildArgs, baseImages, escape).Run(dockerfile).Where(f => !found.Contains(f)).ToList());
        return found.OrderBy(f => f.Line).ToList();
    }

    /// <summary>Whether a source fetches: a URL scheme or git@ at its start; with an unknown part, whether what comes
    /// before it could still begin one.</summary>
    public static bool IsRemote(string source, out bool unresolved)
    {
        var text = source.TrimStart();
        var unknown = text.IndexOf(ShellWord.Unknown);
        unresolved = unknown >= 0;
        if (!unresolved) return IsUrl(text);
        var prefix = text[..unknown];
        return IsUrl(prefix) || FetchedPrefixes.Any(p => p.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsUrl(string text) => RemoteScheme().IsMatch(text) || text.StartsWith("git@", StringComparison.OrdinalIgnoreCase);

    private static readonly string[] FetchedPrefixes = ["http://", "https://", "git://", "git@", "ssh://"];

    /// <summary>Build args the builder passes to every stage without an ARG.</summary>
    private static readonly HashSet<string> ProxyArgs = new(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*://")]
    private static partial Regex RemoteScheme();

    private sealed class Stage
    {
        public Dictionary<string, string> Env { get; init; } = new(StringComparer.Ordinal);
        public bool EnvUnknown { get; init; }
        public Dictionary<string, string?> Args { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Walk(IReadOnlyDictionary<string, string> buildArgs, Func<string, BaseImageConfig?>? baseImages, char escape)
    {
        private readonly List<RemoteAdd> found = [];
        private readonly GlobalArgs globals = new(buildArgs);
        private readonly List<Stage> stages = [];
        private readonly Dictionary<string, Stage> named = new(StringComparer.OrdinalIgnoreCase);

        public List<RemoteAdd> Run(string dockerfile)
        {
            Stage? stage = null;
            foreach (var instruction in DockerfileLines.Instructions(dockerfile, escape))
            {
                if (instruction.Keyword == "FROM") stage = From(instruction);
                else if (stage is null)
                {
                    if (instruction.Keyword == "ARG") globals.Declare(instruction.Rest);
                }
                else Dispatch(instruction, stage, RemoteAddOrigin.Add, null);
            }
            return found;
        }

        private Stage? From(DockerfileInstruction instruction)
        {
            if (globals.From(instruction) is not var (image, name)) return null;
            Stage stage;
            BaseImageConfig? config = null;
            if (named.TryGetValue(image, out var earlier)) stage = new Stage { Env = new(earlier.Env, StringComparer.Ordinal), EnvUnknown = earlier.EnvUnknown };
            else if (image.Equals("scratch", StringComparison.OrdinalIgnoreCase) || baseImages is null) stage = new Stage();
            else
            {
                config = baseImages(image);
                stage = new Stage { EnvUnknown = config is null };
                foreach (var variable in config?.Env ?? [])
                    if (variable.IndexOf('=') is var eq and > 0) stage.Env.TryAdd(variable[..eq], variable[(eq + 1)..]);
            }
            named[stages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)] = stage;
            if (name is not null) named[name] = stage;
            stages.Add(stage);
            // The base image's triggers run first, each parsed as a Dockerfile of its own.
            foreach (var trigger in config?.OnBuild ?? [])
                foreach (var triggered in DockerfileLines.Instructions(trigger))
                    Dispatch(triggered with { Line = instruction.Line }, stage, RemoteAddOrigin.BaseImageTrigger, image);
            return stage;
        }

        private void Dispatch(DockerfileInstruction instruction, Stage stage, RemoteAddOrigin origin, string? image)
        {
            string Expand(string word, Func<string, string?> lookup) => ShellWord.Expand(word, lookup, escape) ?? ShellWord.Unknown.ToString();
            string? Lookup(string name) =>
                stage.Env.TryGetValue(name, out var env) ? env
                : stage.EnvUnknown ? ShellWord.Unknown.ToString()
                : stage.Args.TryGetValue(name, out var arg) && arg is not null ? arg
                : ProxyArgs.Contains(name) && buildArgs.TryGetValue(name, out var proxy) ? proxy
                : null;

            switch (instruction.Keyword)
            {
                case "ARG":
                    foreach (var (name, value) in Declarations.Of(instruction.Rest, escape))
                        stage.Args[Expand(name, Lookup)] = buildArgs.TryGetValue(name, out var given) ? given
                            : value is not null ? Expand(value, Lookup)
                            : globals.Values.GetValueOrDefault(name);
                    break;
                case "ENV": // every value is expanded with the variables as they were before this ENV
                    foreach (var (name, value) in Declarations.Env(instruction.Rest, escape).Select(p => (Expand(p.Name, Lookup), Expand(p.Value, Lookup))).ToList())
                        stage.Env[name] = value;
                    break;
                case "ADD":
                    Judge(instruction, word => Expand(word, Lookup), origin, image);
                    break;
                case "ONBUILD" when origin == RemoteAddOrigin.Add:
                    var trigger = DockerfileLines.Split(instruction.Line, instruction.Rest);
                    // Substituted in the later build, whose variables are not known here.
                    if (trigger.Keyword == "ADD") Judge(trigger, word => Expand(word, _ => ShellWord.Unknown.ToString()), RemoteAddOrigin.OnBuild, null);
                    break;
            }
        }

        private void Judge(DockerfileInstruction add, Func<string, string> expand, RemoteAddOrigin origin, string? image)
        {
            var operands = add.Operands();
            foreach (var written in operands.Take(Math.Max(0, operands.Count - 1)))
            {
                var source = expand(written);
                if (!IsRemote(source, out var unresolved)) continue;
                found.Add(new RemoteAdd(add.Line, unresolved ? written : source, unresolved && origin == RemoteAddOrigin.Add ? RemoteAddOrigin.Unresolved : origin, image));
            }
        }
    }
}

using System.CommandLine;

namespace Agent.Cli;

/// <summary>Options given before the verb, kubectl style (`agent --state-dir S get all`, `agent -o json get all`): moved
/// after the command they belong to, where the parser takes them. Only options of that command are moved; anything else
/// is left where it is, for the parser to report.</summary>
public static class GlobalOptions
{
    public static string[] Hoist(Command root, string[] args)
    {
        var leading = new List<string>();
        var i = 0;
        while (i < args.Length && args[i].StartsWith('-') && args[i] != "--")
        {
            var name = args[i].Split('=', 2)[0];
            if (Find(root, name) is not { } option) return args;
            leading.Add(args[i]);
            i++;
            if (!args[i - 1].Contains('=') && TakesValue(option))
            {
                if (i >= args.Length) return args;
                leading.Add(args[i]);
                i++;
            }
        }
        if (leading.Count == 0) return args;
        var command = root;
        var path = i;
        while (path < args.Length && command.Subcommands.FirstOrDefault(c => c.Name == args[path] || c.Aliases.Contains(args[path])) is { } sub)
        {
            command = sub;
            path++;
        }
        if (ReferenceEquals(command, root)) return args;
        for (var k = 0; k < leading.Count; k++)
        {
            if (!leading[k].StartsWith('-')) continue;
            if (!Accepts(root, command, args, leading[k].Split('=', 2)[0])) return args;
        }
        return [.. args[i..path], .. leading, .. args[path..]];
    }

    /// <summary>Whether <paramref name="command"/> takes the option: its own, or a recursive one of a command above it.</summary>
    private static bool Accepts(Command root, Command command, string[] args, string name) =>
        command.Options.Any(o => Named(o, name)) || root.Options.Any(o => o.Recursive && Named(o, name)) || Ancestors(root, command).Any(c => c.Options.Any(o => o.Recursive && Named(o, name)));

    private static IEnumerable<Command> Ancestors(Command root, Command target)
    {
        var stack = new List<Command>();
        bool Walk(Command c)
        {
            if (ReferenceEquals(c, target)) return true;
            stack.Add(c);
            foreach (var sub in c.Subcommands) if (Walk(sub)) return true;
            stack.RemoveAt(stack.Count - 1);
            return false;
        }
        return Walk(root) ? stack : [];
    }

    private static bool Named(Option option, string name) => option.Name == name || option.Aliases.Contains(name);

    /// <summary>An option of that name anywhere in the tree (the value it takes is the same wherever it is).</summary>
    private static Option? Find(Command command, string name) =>
        command.Options.FirstOrDefault(o => Named(o, name)) ?? command.Subcommands.Select(c => Find(c, name)).FirstOrDefault(o => o is not null);

    private static bool TakesValue(Option option) =>
        option.Arity.MaximumNumberOfValues > 0 && !(option.ValueType == typeof(bool) || option.ValueType == typeof(bool?));
}

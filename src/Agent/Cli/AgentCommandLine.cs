using System.CommandLine;

namespace Agent.Cli;

public static class AgentCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Agent: keeps a Docker engine equal to a folder of manifests, like a Kubernetes operator for one host.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(DiffCommand.Create());
        root.Subcommands.Add(ApplyCommand.Create());
        return root;
    }
}

using System.Text;

namespace Agent.Core.Build;

/// <summary>
/// The classic builder's expansion of one word (its shell lexer): <c>'…'</c> literal, <c>"…"</c> with <c>$</c> and
/// escapes of <c>" $</c> and the escape character, the escape character outside quotes, <c>$name</c>, <c>${name}</c>,
/// <c>${name:-word}</c>, <c>${name:+word}</c>, <c>${name:?word}</c>, <c>${name?word}</c> (and <c>${name-word}</c>, <c>${name+word}</c>). A variable whose value
/// cannot be known before the build expands to <see cref="Unknown"/>; an unset one to nothing.
/// </summary>
public static class ShellWord
{
    /// <summary>Stands for a value not known before the build (a private-use character no Dockerfile needs).</summary>
    public const char Unknown = '\uE000';

    /// <summary>The expanded word, or null when the builder would fail on it (unterminated quote, bad substitution).</summary>
    public static string? Expand(string word, Func<string, string?> lookup, char escape = '\\')
    {
        var reader = new Reader(word, lookup, escape);
        try
        {
            return reader.Until(null);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private sealed class Reader(string text, Func<string, string?> lookup, char escape)
    {
        private int position;

        private char? Peek => position < text.Length ? text[position] : null;

        public string Until(char? stop)
        {
            var result = new StringBuilder();
            while (Peek is { } c)
            {
                if (stop == c)
                {
                    position++;
                    return result.ToString();
                }
                if (c == '\'') result.Append(SingleQuoted());
                else if (c == '"') result.Append(DoubleQuoted());
                else if (c == '$') result.Append(Dollar());
                else
                {
                    position++;
                    if (c == escape)
                    {
                        if (Peek is not { } escaped) break;
                        position++;
                        result.Append(escaped);
                    }
                    else result.Append(c);
                }
            }
            if (stop is not null) throw new FormatException("missing '}'");
            return result.ToString();
        }

        private string SingleQuoted()
        {
            position++;
            var end = text.IndexOf('\'', position);
            if (end < 0) throw new FormatException("unterminated single quote");
            var value = text[position..end];
            position = end + 1;
            return value;
        }

        private string DoubleQuoted()
        {
            position++;
            var result = new StringBuilder();
            while (true)
            {
                if (Peek is not { } c) throw new FormatException("unterminated double quote");
                if (c == '"')
                {
                    position++;
                    return result.ToString();
                }
                if (c == '$')
                {
                    result.Append(Dollar());
                    continue;
                }
                position++;
                if (c == escape && Peek is { } next && (next == '"' || next == '$' || next == escape))
                {
                    position++;
                    c = next;
                }
                else if (c == escape && Peek is null) continue;
                result.Append(c);
            }
        }

        private string Dollar()
        {
            position++;
            if (Peek != '{')
            {
                var plain = Name();
                return plain.Length == 0 ? "$" : lookup(plain) ?? "";
            }
            position++;
            if (Peek is null or '{' or '}' or ':') throw new FormatException("bad substitution");
            var name = Name();
            var op = Peek;
            position++;
            switch (op)
            {
                case '}':
                    return lookup(name) ?? "";
                case '?':
                    Until('}');
                    return lookup(name) ?? throw new FormatException($"{name} is not set");
                case '-' or '+': // newer builders also read ${name-word} and ${name+word}: read as they do
                    var alternative = Until('}');
                    var set = lookup(name);
                    if (set is [Unknown]) return Unknown.ToString();
                    return op == '-' ? set ?? alternative : set is null ? "" : alternative;
                case ':':
                    var modifier = Peek;
                    position++;
                    var word = Until('}');
                    var value = lookup(name);
                    if (value is [Unknown]) return Unknown.ToString(); // empty or not is not known either
                    return modifier switch
                    {
                        '+' => string.IsNullOrEmpty(value) ? "" : word,
                        '-' => string.IsNullOrEmpty(value) ? word : value,
                        '?' => string.IsNullOrEmpty(value) ? throw new FormatException($"{name} is empty") : value,
                        _ => throw new FormatException("unsupported modifier"),
                    };
                default:
                    throw new FormatException("missing ':' in substitution");
            }
        }

        /// <summary>Letters, digits and _; a leading digit run or one special parameter character stands alone.</summary>
        private string Name()
        {
            var start = position;
            if (Peek is { } first && char.IsDigit(first))
            {
                while (Peek is { } d && char.IsDigit(d)) position++;
                return text[start..position];
            }
            if (Peek is { } special && "@*#?-$!".Contains(special))
            {
                position++;
                return special.ToString();
            }
            while (Peek is { } c && (char.IsLetterOrDigit(c) || c == '_')) position++;
            return text[start..position];
        }
    }
}

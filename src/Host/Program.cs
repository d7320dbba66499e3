using NativeMtl.Host;

return Cli.Run(args, Console.Out, Console.Error);

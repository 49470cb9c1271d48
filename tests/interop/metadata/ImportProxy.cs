// Generates a C# proxy from WSDL and XSD files with WCF's own importer, as svcutil does:
// WsdlImporter over the documents, then ServiceContractGenerator. (Mono's svcutil front end
// writes an empty file; the importer it calls works.)
//
//   mono ImportProxy.exe OUT.cs FILE...     (FILE: *.wsdl or *.xsd)
//   mono ImportProxy.exe OUT.cs --mex ADDRESS   (WS-MetadataExchange: net.tcp:// or http://)
//
// Mono's WsdlImporter leaves out what .NET's reads from the same documents: the session
// flags WCF writes (msc:usingSession, msc:isInitiating, msc:isTerminating), one-way operations
// (an operation without an output message) and fault details. This program applies those
// rules itself, from the documents, before generating: that is what svcutil gives on .NET.
// Fault detail types are generated with XsdDataContractImporter, and each wsdl:fault becomes a
// [FaultContract] on its operation, as .NET's generator writes them.
//
// Writes the proxy to OUT.cs and prints what the importer read: one line per contract
// (`CONTRACT name session=<SessionMode>`), per operation (`OPERATION name oneway=… initiating=…
// terminating=… faults=<detail types>`) and per endpoint (`ENDPOINT binding-name address`).
// Importer errors and warnings are printed as `IMPORT-ERROR` / `IMPORT-WARNING`.
using System;
using System.CodeDom;
using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.Serialization;
using System.ServiceModel.Description;
using System.Xml;
using System.Xml.Schema;
using WebDescription = System.Web.Services.Description;

public static class ImportProxy
{
    public static int Main(string[] args)
    {
        var sections = new List<MetadataSection>();
        // The schemas once each, imports not followed: for the fault details' importer.
        var schemas = new XmlSchemaSet { XmlResolver = null };
        if (args.Length == 3 && args[1] == "--mex")
        {
            // WCF's MetadataExchangeClient over mexTcpBinding or mexHttpBinding.
            var address = args[2];
            // mexTcpBinding spelled out: Mono's CreateMexTcpBinding gives no net.tcp binding.
            var binding = address.StartsWith("net.tcp:", StringComparison.Ordinal)
                ? (System.ServiceModel.Channels.Binding)new System.ServiceModel.Channels.CustomBinding(
                    new System.ServiceModel.Channels.TextMessageEncodingBindingElement(
                        System.ServiceModel.Channels.MessageVersion.Soap12WSAddressing10,
                        System.Text.Encoding.UTF8),
                    new System.ServiceModel.Channels.TcpTransportBindingElement())
                : MetadataExchangeBindings.CreateMexHttpBinding();
            var exchange = new MetadataExchangeClient(binding);
            var fetched = exchange.GetMetadata(new System.ServiceModel.EndpointAddress(address));
            foreach (var section in fetched.MetadataSections)
            {
                Console.WriteLine("MEX-SECTION {0} {1}", section.Dialect, section.Identifier);
                sections.Add(section);
                var schema = section.Metadata as XmlSchema;
                if (schema != null)
                    schemas.Add(schema);
            }
        }
        foreach (var file in args.Skip(1).Where(a => !(args.Length == 3 && args[1] == "--mex")))
        {
            if (file.EndsWith(".wsdl", StringComparison.Ordinal))
            {
                sections.Add(MetadataSection.CreateFromServiceDescription(
                    WebDescription.ServiceDescription.Read(file)));
            }
            else
            {
                using (var reader = XmlReader.Create(file))
                {
                    var schema = XmlSchema.Read(reader, null);
                    sections.Add(MetadataSection.CreateFromSchema(schema));
                    schemas.Add(schema);
                }
            }
        }
        var importer = new WsdlImporter(new MetadataSet(sections));
        var contracts = importer.ImportAllContracts();
        var endpoints = importer.ImportAllEndpoints();
        foreach (var error in importer.Errors)
        {
            Console.WriteLine((error.IsWarning ? "IMPORT-WARNING " : "IMPORT-ERROR ")
                + error.Message.Replace('\n', ' '));
        }
        var generator = new ServiceContractGenerator();
        var detailTypes = new List<XmlQualifiedName>();
        var faults = new List<Fault>();
        foreach (var contract in contracts)
        {
            ApplyWcfRules(importer, contract, detailTypes, faults);
        }
        foreach (var contract in contracts)
        {
            Console.WriteLine("CONTRACT {0} session={1}", contract.Name, contract.SessionMode);
            foreach (var operation in contract.Operations)
            {
                Console.WriteLine(
                    "OPERATION {0} oneway={1} initiating={2} terminating={3} faults={4}",
                    operation.Name, operation.IsOneWay, operation.IsInitiating,
                    operation.IsTerminating,
                    string.Join(",", operation.Faults.Select(f => f.Name).ToArray()));
            }
            generator.GenerateServiceContractType(contract);
            WriteWcfFlags(generator.TargetCompileUnit, contract);
        }
        foreach (var endpoint in endpoints)
        {
            Console.WriteLine("ENDPOINT {0} {1} {2}", endpoint.Binding.Name,
                endpoint.Binding.GetType().Name, endpoint.Address.Uri);
        }
        foreach (var error in generator.Errors)
        {
            Console.WriteLine((error.IsWarning ? "IMPORT-WARNING " : "IMPORT-ERROR ")
                + error.Message.Replace('\n', ' '));
        }
        ImportReferencedNamespaces(generator.TargetCompileUnit);
        if (detailTypes.Count > 0)
        {
            var details = new XsdDataContractImporter(generator.TargetCompileUnit);
            foreach (var type in detailTypes.Distinct())
            {
                Console.WriteLine("FAULT-DETAIL {0}", type);
                details.Import(schemas, type);
            }
            foreach (var fault in faults)
                WriteFaultContract(generator.TargetCompileUnit, fault, details.GetCodeTypeReference(fault.DetailType));
        }
        using (var provider = CodeDomProvider.CreateProvider("C#"))
        using (var writer = new StreamWriter(args[0]))
        {
            provider.GenerateCodeFromCompileUnit(
                generator.TargetCompileUnit, writer, new CodeGeneratorOptions());
        }
        return 0;
    }

    const string Msc = "http://schemas.microsoft.com/ws/2005/12/wsdl/contract";
    const string Wsaw = "http://www.w3.org/2006/05/addressing/wsdl";

    class Fault
    {
        public string Contract, Operation, Name, Action;
        public XmlQualifiedName DetailType;
    }

    static string Action(XmlAttribute[] attributes)
    {
        if (attributes == null)
            return null;
        foreach (var attribute in attributes)
        {
            if (attribute.LocalName == "Action" && attribute.NamespaceURI == Wsaw)
                return attribute.Value;
        }
        return null;
    }

    // [FaultContract(typeof(Detail), Action = ..., Name = ...)] on the operation, as .NET's
    // generator writes it for each wsdl:fault.
    static void WriteFaultContract(CodeCompileUnit unit, Fault fault, CodeTypeReference detail)
    {
        foreach (CodeNamespace ns in unit.Namespaces)
        {
            foreach (CodeTypeDeclaration type in ns.Types)
            {
                if (!type.IsInterface || type.Name != fault.Contract)
                    continue;
                foreach (CodeTypeMember member in type.Members)
                {
                    var method = member as CodeMemberMethod;
                    if (method == null || method.Name != fault.Operation)
                        continue;
                    var attribute = new CodeAttributeDeclaration(
                        new CodeTypeReference(typeof(System.ServiceModel.FaultContractAttribute)),
                        new CodeAttributeArgument(new CodeTypeOfExpression(detail)),
                        new CodeAttributeArgument("Name", new CodePrimitiveExpression(fault.Name)));
                    if (fault.Action != null)
                        attribute.Arguments.Add(new CodeAttributeArgument("Action", new CodePrimitiveExpression(fault.Action)));
                    method.CustomAttributes.Add(attribute);
                }
            }
        }
    }

    static string Flag(XmlAttribute[] attributes, string name)
    {
        if (attributes == null)
            return null;
        foreach (var attribute in attributes)
        {
            if (attribute.LocalName == name && attribute.NamespaceURI == Msc)
                return attribute.Value;
        }
        return null;
    }

    // The port type's session flags and one-way operations, as .NET's importer reads them, and
    // the schema types of the fault details.
    static void ApplyWcfRules(WsdlImporter importer, ContractDescription contract,
        List<XmlQualifiedName> detailTypes, List<Fault> faults)
    {
        foreach (WebDescription.ServiceDescription document in importer.WsdlDocuments)
        {
            var portType = document.PortTypes[contract.Name];
            if (portType == null || document.TargetNamespace != contract.Namespace)
                continue;
            if (Flag(portType.ExtensibleAttributes, "usingSession") == "true")
                contract.SessionMode = System.ServiceModel.SessionMode.Required;
            foreach (WebDescription.Operation wsdlOperation in portType.Operations)
            {
                var operation = contract.Operations.Find(wsdlOperation.Name);
                if (operation == null)
                    continue;
                operation.IsInitiating = Flag(wsdlOperation.ExtensibleAttributes, "isInitiating") != "false";
                operation.IsTerminating = Flag(wsdlOperation.ExtensibleAttributes, "isTerminating") == "true";
                // Mono keeps IsOneWay behind an internal setter (on .NET it is computed from
                // the messages: one message, one way).
                if (wsdlOperation.Messages.Output == null)
                    typeof(OperationDescription).GetProperty("IsOneWay")
                        .GetSetMethod(true).Invoke(operation, new object[] { true });
                foreach (WebDescription.OperationFault fault in wsdlOperation.Faults)
                {
                    var message = FindMessage(importer, fault.Message);
                    if (message == null)
                        continue;
                    foreach (WebDescription.MessagePart part in message.Parts)
                    {
                        var type = ElementType(importer.XmlSchemas, part.Element);
                        if (type == null)
                            continue;
                        detailTypes.Add(type);
                        faults.Add(new Fault
                        {
                            Contract = contract.Name,
                            Operation = wsdlOperation.Name,
                            Name = fault.Name,
                            Action = Action(fault.ExtensibleAttributes),
                            DetailType = type,
                        });
                    }
                }
            }
        }
    }

    // Mono's generator writes Action and ReplyAction only; .NET's also writes SessionMode,
    // IsOneWay, IsInitiating and IsTerminating where they are not the defaults.
    static void WriteWcfFlags(CodeCompileUnit unit, ContractDescription contract)
    {
        foreach (CodeNamespace ns in unit.Namespaces)
        {
            foreach (CodeTypeDeclaration type in ns.Types)
            {
                if (!type.IsInterface || type.Name != contract.Name)
                    continue;
                foreach (CodeAttributeDeclaration attribute in type.CustomAttributes)
                {
                    if (attribute.Name.EndsWith("ServiceContractAttribute", StringComparison.Ordinal)
                        && contract.SessionMode != System.ServiceModel.SessionMode.Allowed)
                    {
                        attribute.Arguments.Add(new CodeAttributeArgument("SessionMode",
                            new CodeFieldReferenceExpression(
                                new CodeTypeReferenceExpression(typeof(System.ServiceModel.SessionMode)),
                                contract.SessionMode.ToString())));
                    }
                }
                foreach (CodeTypeMember member in type.Members)
                {
                    var method = member as CodeMemberMethod;
                    var operation = method == null ? null : contract.Operations.Find(method.Name);
                    if (operation == null)
                        continue;
                    foreach (CodeAttributeDeclaration attribute in method.CustomAttributes)
                    {
                        if (!attribute.Name.EndsWith("OperationContractAttribute", StringComparison.Ordinal))
                            continue;
                        if (operation.IsOneWay)
                            attribute.Arguments.Add(new CodeAttributeArgument("IsOneWay", new CodePrimitiveExpression(true)));
                        if (!operation.IsInitiating)
                            attribute.Arguments.Add(new CodeAttributeArgument("IsInitiating", new CodePrimitiveExpression(false)));
                        if (operation.IsTerminating)
                            attribute.Arguments.Add(new CodeAttributeArgument("IsTerminating", new CodePrimitiveExpression(true)));
                    }
                }
            }
        }
    }

    // Where Mono falls back to XmlSerializer message types (an operation whose request and
    // reply wrappers are both empty), it declares them in a namespace of their own and names
    // them unqualified in the contract: the contract's namespace imports those namespaces.
    static void ImportReferencedNamespaces(CodeCompileUnit unit)
    {
        var referenced = new HashSet<string>();
        CodeNamespace global = null;
        foreach (CodeNamespace ns in unit.Namespaces)
        {
            if (ns.Name != "")
                continue;
            global = ns;
            foreach (CodeTypeDeclaration type in ns.Types)
            {
                foreach (CodeTypeMember member in type.Members)
                {
                    var method = member as CodeMemberMethod;
                    if (method == null)
                        continue;
                    referenced.Add(method.ReturnType.BaseType);
                    foreach (CodeParameterDeclarationExpression parameter in method.Parameters)
                        referenced.Add(parameter.Type.BaseType);
                }
            }
        }
        if (global == null)
            return;
        foreach (CodeNamespace ns in unit.Namespaces)
        {
            if (ns.Name == "")
                continue;
            foreach (CodeTypeDeclaration type in ns.Types)
            {
                if (referenced.Contains(type.Name))
                {
                    global.Imports.Add(new CodeNamespaceImport(ns.Name));
                    break;
                }
            }
        }
    }

    // The type of a global element, found without compiling the set (the documents' imports
    // would load some schemas twice).
    static XmlQualifiedName ElementType(XmlSchemaSet schemas, XmlQualifiedName name)
    {
        foreach (XmlSchema schema in schemas.Schemas(name.Namespace))
        {
            foreach (XmlSchemaObject item in schema.Items)
            {
                var element = item as XmlSchemaElement;
                if (element != null && element.Name == name.Name)
                    return element.SchemaTypeName;
            }
        }
        return null;
    }

    static WebDescription.Message FindMessage(WsdlImporter importer, XmlQualifiedName name)
    {
        foreach (WebDescription.ServiceDescription document in importer.WsdlDocuments)
        {
            if (document.TargetNamespace == name.Namespace && document.Messages[name.Name] != null)
                return document.Messages[name.Name];
        }
        return null;
    }
}

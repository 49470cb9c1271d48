//! XML -> serde in DataContractSerializer's conventions, tolerant the way WCF's reader is:
//! children are matched by local name, unknown ones skipped, whitespace around values trimmed.

use super::{Error, Segment};
use crate::message::XmlError;
use crate::xml::{is_whitespace, trim, truncate_for_message, Element, FragmentReader, Node};
use base64::Engine as _;
use serde::de::{self, value::StrDeserializer, DeserializeSeed, IntoDeserializer, Visitor};
use std::borrow::Cow;
use std::str::FromStr;

/// Deserializes one element whose start tag has just been read; consumes it up to its end tag.
pub(crate) struct ElementDe<'r, 'de> {
    r: &'r mut FragmentReader<'de>,
    el: Element<'de>,
}

impl<'r, 'de> ElementDe<'r, 'de> {
    pub(crate) fn new(r: &'r mut FragmentReader<'de>, el: Element<'de>) -> Self {
        ElementDe { r, el }
    }

    fn reject_nil(&self) -> Result<(), Error> {
        if self.el.nil {
            return Err(Error::located(format!(
                "element <{}> is nil (i:nil=\"true\") but the expected type is not optional",
                self.el.local()
            )));
        }
        Ok(())
    }

    fn text(self) -> Result<(Cow<'de, str>, Element<'de>), Error> {
        self.reject_nil()?;
        let text = self.r.read_text(&self.el)?;
        Ok((text, self.el))
    }

    /// Trimmed text parsed by `parse`; `what` names the XML Schema type in errors.
    fn value<T>(self, what: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, Error> {
        let (text, el) = self.text()?;
        let trimmed = trim(&text);
        if trimmed.is_empty() {
            return Err(Error::located(format!(
                "element <{}> is empty; expected {what}",
                el.local()
            )));
        }
        parse(trimmed).ok_or_else(|| {
            Error::located(format!(
                "`{}` in element <{}> is not a valid {what}",
                truncate_for_message(trimmed),
                el.local()
            ))
        })
    }

    fn number<T: FromStr>(self, what: &str) -> Result<T, Error> {
        self.value(what, |t| t.parse().ok())
    }

    fn skip(self) -> Result<(), Error> {
        self.r.skip(&self.el).map_err(Error::from)
    }

    fn items(self) -> Result<Items<'r, 'de>, Error> {
        self.reject_nil()?;
        Ok(Items {
            done: self.el.empty,
            r: self.r,
            parent: self.el,
            count: 0,
        })
    }

    /// `deserialize_any` on mixed-up content: child elements make a map, text a string.
    fn any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut text: Cow<'de, str> = Cow::Borrowed("");
        loop {
            match self.r.next()? {
                Node::Text(piece) if text.is_empty() => text = piece,
                Node::Text(piece) => text.to_mut().push_str(&piece),
                Node::Start(child) if is_whitespace(&text) => {
                    self.r.push_back(Node::Start(child));
                    let mut access = Items {
                        r: self.r,
                        parent: self.el,
                        done: false,
                        count: 0,
                    };
                    let value = visitor.visit_map(Fields::new(&mut access, &[], None));
                    return finish(value, &mut access);
                }
                Node::Start(child) => {
                    return Err(Error::located(format!(
                        "element <{}> mixes text and elements (at <{}>)",
                        self.el.local(),
                        child.local()
                    )))
                }
                Node::End => {
                    return match text {
                        Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                        Cow::Owned(s) => visitor.visit_string(s),
                    }
                }
                Node::Eof => return Err(super::xml::unexpected_eof(self.el.local()).into()),
            }
        }
    }

    fn base64(self) -> Result<Vec<u8>, Error> {
        self.reject_nil()?;
        let max = self.r.quotas.max_array_length;
        // Base64 text is 4/3 of its bytes plus line breaks; the exact check follows decoding.
        let text = self
            .r
            .read_text_bounded(&self.el, max.saturating_mul(2).saturating_add(64))?;
        let compact: Cow<'_, str> = if text.bytes().any(|b| b.is_ascii_whitespace()) {
            Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
        } else {
            Cow::Borrowed(&text)
        };
        let too_long = || {
            Error::from(XmlError::QuotaExceeded(format!(
                "base64 content of <{}> is longer than max_array_length ({max})",
                self.el.local()
            )))
        };
        if compact.len() / 4 * 3 > max.saturating_add(3) {
            return Err(too_long());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| {
                Error::located(format!(
                    "element <{}> is not valid base64: {e}",
                    self.el.local()
                ))
            })?;
        if bytes.len() > max {
            return Err(too_long());
        }
        Ok(bytes)
    }
}

impl<'de> ElementDe<'_, 'de> {
    /// An `xs:QName`'s text, `prefix:name`, resolved against the declarations in scope at the
    /// element, as `{namespace}name`.
    fn qualified_name(self) -> Result<String, Error> {
        let scope = self.r.namespaces_in_scope();
        let (text, el) = self.text()?;
        let text = trim(&text);
        if text.is_empty() {
            return Ok(String::new());
        }
        let (prefix, local) = text.split_once(':').unwrap_or(("", text));
        let namespace = scope
            .iter()
            .rev()
            .find(|(bound, _)| bound == prefix)
            .map(|(_, namespace)| namespace.as_str());
        match namespace {
            Some(namespace) => Ok(format!("{{{namespace}}}{local}")),
            None if prefix.is_empty() => Ok(local.to_owned()),
            None => Err(Error::located(format!(
                "the prefix `{prefix}` of the qualified name in <{}> is not declared",
                el.local()
            ))),
        }
    }

    /// A `#[data_contract(known_types)]` enum: `i:type` names the variant's contract, and
    /// without it the value is of the declared contract, `names[0]`; `names[1..]` are the
    /// variants' contracts.
    fn known_type<V: Visitor<'de>>(self, names: &[&str], visitor: V) -> Result<V::Value, Error> {
        let tagged = self.r.type_of(&self.el)?;
        let (declared, variants) = names.split_first().ok_or_else(|| {
            Error::located("a known-types enum without a declared contract".to_owned())
        })?;
        let wanted = tagged
            .as_ref()
            .map_or(*declared, |(_, local)| local.as_str());
        let Some(index) = variants.iter().position(|name| *name == wanted) else {
            return Err(Error::located(match &tagged {
                Some((ns, local)) => format!(
                    "element <{}> has i:type `{{{ns}}}{local}`, which is not a known type of \
                     {declared} (known: {})",
                    self.el.local(),
                    variants.join(", ")
                ),
                None => format!(
                    "element <{}> has no i:type, and {declared} is not one of its own known \
                     types (known: {})",
                    self.el.local(),
                    variants.join(", ")
                ),
            }));
        };
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        visitor.visit_enum(Picked { index, de: self })
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// XML Schema spells the specials `INF`, `-INF` and `NaN`; Rust's own spellings are accepted too.
fn parse_float<T: FromStr>(text: &str, infinity: T, neg_infinity: T, nan: T) -> Option<T> {
    match text {
        "INF" => Some(infinity),
        "-INF" => Some(neg_infinity),
        "NaN" => Some(nan),
        _ => text.parse().ok(),
    }
}

fn parse_char(text: &str) -> Option<char> {
    text.parse::<u32>().ok().and_then(char::from_u32)
}

/// Runs after a visitor: reads what it left of the element (a fixed-size tuple stops early).
fn finish<T>(value: Result<T, Error>, access: &mut Items<'_, '_>) -> Result<T, Error> {
    let value = value?;
    access.drain()?;
    Ok(value)
}

impl<'de> de::Deserializer<'de> for ElementDe<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.el.nil {
            self.r.skip(&self.el)?;
            return visitor.visit_none();
        }
        if self.el.empty {
            return visitor.visit_borrowed_str("");
        }
        self.any(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(self.value("boolean", parse_bool)?)
    }
    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i8(self.number("byte")?)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i16(self.number("short")?)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i32(self.number("int")?)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i64(self.number("long")?)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i128(self.number("integer")?)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u8(self.number("unsignedByte")?)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u16(self.number("unsignedShort")?)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u32(self.number("unsignedInt")?)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u64(self.number("unsignedLong")?)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u128(self.number("nonNegativeInteger")?)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let v = self.value("float", |t| {
            parse_float(t, f32::INFINITY, f32::NEG_INFINITY, f32::NAN)
        })?;
        visitor.visit_f32(v)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let v = self.value("double", |t| {
            parse_float(t, f64::INFINITY, f64::NEG_INFINITY, f64::NAN)
        })?;
        visitor.visit_f64(v)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_char(self.value("char (a character code)", parse_char)?)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.text()?.0 {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_byte_buf(self.base64()?)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_byte_buf(self.base64()?)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.el.nil {
            self.skip()?;
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == super::QNAME {
            let clark = self.qualified_name()?;
            let clark: de::value::StringDeserializer<Error> = clark.into_deserializer();
            return visitor.visit_newtype_struct(clark);
        }
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut items = self.items()?;
        let value = visitor.visit_seq(&mut items);
        finish(value, &mut items)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut items = self.items()?;
        let value = visitor.visit_map(Entries(&mut items, None));
        finish(value, &mut items)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut items = self.items()?;
        let value = visitor.visit_map(Fields::new(&mut items, fields, None));
        finish(value, &mut items)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == super::FAULT_CHOICE {
            // A `#[fault_contracts]` choice: the element's name picks the variant, and the
            // element itself is the detail.
            return visitor.visit_enum(Choice(self));
        }
        if name == super::KNOWN_TYPES {
            return self.known_type(variants, visitor);
        }
        let (text, _) = self.text()?;
        let variant: StrDeserializer<'_, Error> = trim(&text).into_deserializer();
        visitor.visit_enum(variant)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }
}

/// The child elements of one element, handed out one by one.
struct Items<'r, 'de> {
    r: &'r mut FragmentReader<'de>,
    parent: Element<'de>,
    done: bool,
    count: usize,
}

impl<'de> Items<'_, 'de> {
    fn next_child(&mut self) -> Result<Option<Element<'de>>, Error> {
        if self.done {
            return Ok(None);
        }
        let child = self.r.next_child(self.parent.local())?;
        self.done = child.is_none();
        Ok(child)
    }

    /// Like `next_child`, counting against `max_array_length`.
    fn next_item(&mut self) -> Result<Option<Element<'de>>, Error> {
        let child = self.next_child()?;
        if child.is_some() {
            self.count += 1;
            let max = self.r.quotas.max_array_length;
            if self.count > max {
                return Err(XmlError::QuotaExceeded(format!(
                    "<{}> has more than max_array_length ({max}) items",
                    self.parent.local()
                ))
                .into());
            }
        }
        Ok(child)
    }

    /// Reads `el` with `seed`; an error gets `segment` of its member path.
    fn value<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
        el: Element<'de>,
        segment: Segment,
    ) -> Result<T::Value, Error> {
        // Kept for the error path; the name borrows from the input, so this copies nothing.
        let named = el.clone();
        seed.deserialize(ElementDe::new(self.r, el))
            .map_err(|e| e.within(segment, &named))
    }

    fn drain(&mut self) -> Result<(), Error> {
        while let Some(child) = self.next_child()? {
            self.r.skip(&child)?;
        }
        Ok(())
    }
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.next_item()? {
            Some(el) => {
                let index = self.count - 1;
                self.value(seed, el, Segment::Index(index)).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// A `#[fault_contracts]` choice: the variant is the element's local name, its value the
/// element read as the variant's type.
struct Choice<'r, 'de>(ElementDe<'r, 'de>);

impl<'r, 'de> de::EnumAccess<'de> for Choice<'r, 'de> {
    type Error = Error;
    type Variant = ElementDe<'r, 'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let name: StrDeserializer<'_, Error> = self.0.el.local().into_deserializer();
        let variant = seed.deserialize(name)?;
        Ok((variant, self.0))
    }
}

impl<'de> de::VariantAccess<'de> for ElementDe<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Err(Error::located(
            "a fault detail is not a unit variant".to_owned(),
        ))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(Error::located(
            "a fault detail is not a tuple variant".to_owned(),
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(Error::located(
            "a fault detail is not a struct variant".to_owned(),
        ))
    }
}

/// A struct: children keyed by local name, any order, unknown ones left to serde to ignore.
///
/// A `#[data_member(base)]` field (the first, named [`BASE_MEMBERS`](super::BASE_MEMBERS))
/// comes first: the base type reads the leading children that are its members, as WCF reads
/// a base class's members before the derived class's.
struct Fields<'a, 'r, 'de> {
    items: &'a mut Items<'r, 'de>,
    /// The child whose key was handed out, awaiting its value.
    current: Option<Element<'de>>,
    /// The base type is still to be read: its key, then its value.
    base: Base,
    /// For a base type: its own members. It stops at the first child not among them.
    only: Option<&'static [&'static str]>,
}

#[derive(PartialEq, Eq)]
enum Base {
    None,
    KeyNext,
    ValueNext,
}

impl<'a, 'r, 'de> Fields<'a, 'r, 'de> {
    fn new(
        items: &'a mut Items<'r, 'de>,
        fields: &'static [&'static str],
        only: Option<&'static [&'static str]>,
    ) -> Self {
        let base = if fields.first() == Some(&super::BASE_MEMBERS) {
            Base::KeyNext
        } else {
            Base::None
        };
        Fields {
            items,
            current: None,
            base,
            only,
        }
    }
}

impl<'de> de::MapAccess<'de> for Fields<'_, '_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.base == Base::KeyNext {
            self.base = Base::ValueNext;
            let key: StrDeserializer<'_, Error> = super::BASE_MEMBERS.into_deserializer();
            return seed.deserialize(key).map(Some);
        }
        let child = loop {
            let Some(child) = self.items.next_child()? else {
                return Ok(None);
            };
            if let Some(only) = self.only {
                if !only.contains(&child.local()) {
                    self.items.r.push_back(Node::Start(child));
                    return Ok(None);
                }
            }
            // A member sent as nil (.NET's null: a client's unset string, list or object) is
            // read as a member left out: `None` for an `Option`, the default for a member that
            // has one, "missing" for a required member with no way to be null in Rust.
            if child.nil {
                self.items.r.skip(&child)?;
                continue;
            }
            break child;
        };
        let key: StrDeserializer<'_, Error> = child.local().into_deserializer();
        let key = seed.deserialize(key)?;
        self.current = Some(child);
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        if self.base == Base::ValueNext {
            self.base = Base::None;
            return seed.deserialize(BaseDe {
                items: &mut *self.items,
            });
        }
        let child = self.current.take().ok_or_else(value_without_key)?;
        self.items.value(seed, child, Segment::Member)
    }
}

/// A base type's members, read from the children of the derived type's element.
struct BaseDe<'a, 'r, 'de> {
    items: &'a mut Items<'r, 'de>,
}

impl<'de> de::Deserializer<'de> for BaseDe<'_, '_, 'de> {
    type Error = Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // No drain: the rest of the children belong to the derived type.
        visitor.visit_map(Fields::new(self.items, fields, Some(fields)))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(Error::located(
            "a `#[data_member(base)]` field must be a `#[data_contract]` struct".to_owned(),
        ))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// A known type picked by `i:type`: the variant's index, and the element read as its type.
struct Picked<'r, 'de> {
    index: u32,
    de: ElementDe<'r, 'de>,
}

impl<'r, 'de> de::EnumAccess<'de> for Picked<'r, 'de> {
    type Error = Error;
    type Variant = ElementDe<'r, 'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let index: de::value::U32Deserializer<Error> = self.index.into_deserializer();
        Ok((seed.deserialize(index)?, self.de))
    }
}

/// A dictionary: `KeyValueOf..` items, each holding a key element and then a value element.
struct Entries<'a, 'r, 'de>(&'a mut Items<'r, 'de>, Option<Element<'de>>);

impl<'de> Entries<'_, '_, 'de> {
    /// The next child of the current item (the key or the value element).
    fn part_of(&mut self, item: &Element<'de>, what: &str) -> Result<Element<'de>, Error> {
        let found = if item.empty {
            None
        } else {
            self.0.r.next_child(item.local())?
        };
        found.ok_or_else(|| {
            Error::located(format!("dictionary item <{}> has no {what}", item.local()))
        })
    }
}

impl<'de> de::MapAccess<'de> for Entries<'_, '_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(item) = self.0.next_item()? else {
            return Ok(None);
        };
        let key = self.part_of(&item, "Key")?;
        let key = self.0.value(seed, key, Segment::Member)?;
        self.1 = Some(item);
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let item = self.1.take().ok_or_else(value_without_key)?;
        let value = self.part_of(&item, "Value")?;
        let value = self.0.value(seed, value, Segment::Member)?;
        while let Some(extra) = self.0.r.next_child(item.local())? {
            self.0.r.skip(&extra)?;
        }
        Ok(value)
    }
}

fn value_without_key() -> Error {
    Error::located("map value requested before its key".to_owned())
}

/// Stands in for a parameter the body does not carry: `None` for an `Option`, an error for
/// anything else (WCF would use the type's default; Rust has no default for every type).
pub(crate) struct MissingDe<'n> {
    pub(crate) name: &'n str,
}

impl<'de> de::Deserializer<'de> for MissingDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(Error::located(format!("missing parameter `{}`", self.name)))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

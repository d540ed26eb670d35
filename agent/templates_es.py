"""Spanish replies for the requests the engine answers in Spanish (issue 11, class 10).

Many US customers write in Spanish. For order status, returns, refund status, cancellations and damaged,
defective or wrong items the reply is the English template's twin: the same slots, the same facts in the same
order, nothing the English one does not say, in the brand's voice in neutral Latin-American Spanish ("usted").

The plans fill their slots in English (dates through `format_date`, short phrases such as a shipping line),
so each slot a Spanish template shows is put into Spanish here: a date through the calendar, a closed value
(a return status, where the carrier left a parcel) through a table, a phrase a plan writes through its
English pattern. Ids, amounts, carriers, services and product names stay as they are. Anything without a
Spanish form (a template with no twin, a slot or a phrase this module does not know, a carrier scan it has
never seen) raises `NoSpanish`, and the reply goes to a person: never out in English, never half translated.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from agent import refund_reasons
from agent.intents import intents_where
from agent.triage import rules

SPANISH_INTENTS = intents_where(spanish=True)
"""The intents whose plans can answer a Spanish message (every template they produce has a Spanish twin)."""

GREETING = "Hola {first_name},"
GREETING_ANON = "Hola,"
SIGN_OFF = "— El equipo de Northfork Goods"

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")


class NoSpanish(LookupError):
    """The reply (or a part of it) has no Spanish wording: a person answers instead of an English reply."""


def answers_in(language: str | None, intent: str) -> bool:
    """Whether the engine answers a message in this language about this intent (else a person does)."""
    return language == "en" or (language == "es" and intent in SPANISH_INTENTS)


def format_day(day: date) -> str:
    """'martes, 24 de noviembre'."""
    return f"{WEEKDAYS[day.weekday()]}, {day.day} de {MONTHS[day.month - 1]}"


TELLING_WORDS = 3  # agent.triage.rules.language reads a message of fewer words as English: it cannot tell
_WORD = re.compile(r"[a-zà-ÿ']+")


def reply_language(language: str | None, text: str, earlier: Sequence[str] = ()) -> str:
    """The reply follows the message: Spanish for a Spanish one. A message too short to tell ("Sí", "ok", an
    order number) keeps the language of the customer's last message in the conversation that could tell."""
    if language != "en" or len(_WORD.findall(text.lower())) >= TELLING_WORDS:
        return language or "en"
    for before in reversed(earlier):
        if len(_WORD.findall(before.lower())) >= TELLING_WORDS:
            return "es" if rules.language(before) == "es" else "en"
    return "en"


TEMPLATES: dict[str, str] = {
    # where is my order
    "status_pending": "Su pedido {order_id} ya está registrado y {platform_name} todavía está confirmando el pago. En "
                      "cuanto se confirme, se envía a más tardar {ship_by}.",
    "parcels_summary": "Este pedido llega en {count} paquetes: {parcel_list}.",
    "status_partly_shipped": "Parte de su pedido {order_id} todavía no se ha enviado: {items}. Lo estamos "
                             "preparando y debe enviarse a más tardar {ship_by}; verá su seguimiento en cuanto se "
                             "escanee la etiqueta. Lo que ya se envió: {parcel_list}.",
    "status_partly_shipped_late": "Lo siento: parte de su pedido {order_id} todavía no se ha enviado: {items}. Debía "
                                  "enviarse a más tardar {ship_by} y todavía no ha salido. Puede esperarlo o cancelarlo "
                                  "con un reembolso completo de esa parte; una persona de nuestro equipo confirmará lo "
                                  "que prefiera. Lo que ya se envió: {parcel_list}.",
    "status_cannot_ship_there": "Su pedido {order_id} todavía no se ha enviado, y lo siento: {items} solo se puede "
                                "enviar por vía terrestre dentro de los Estados Unidos continentales, así que no podemos "
                                "enviarlo a {ship_place}. Una persona de nuestro equipo le escribirá aquí para cancelar "
                                "lo que no se puede enviar, con un reembolso completo, o para enviar su pedido a una "
                                "dirección dentro de los Estados Unidos continentales.{rest_line}",
    "status_unshipped": "Su pedido {order_id} todavía no se ha enviado: lo estamos preparando y se envía a más tardar "
                        "{ship_by}. Debería llegar a más tardar {deliver_by}; verá el número de seguimiento en cuanto "
                        "se escanee la etiqueta.",
    "status_late_unshipped": "Lo siento: su pedido {order_id} debía enviarse a más tardar {ship_by} y todavía no ha "
                             "salido. Estamos trabajando para enviarlo, y me aseguraré de que reciba el número de "
                             "seguimiento en cuanto se envíe. Si prefiere no esperar, puedo cancelar el pedido con un "
                             "reembolso completo. Solo responda \"cancelar\" y me encargo.",
    "status_shipped": "Su pedido {order_id} se envió con {carrier} ({service}), número de seguimiento "
                      "{tracking_number}. La empresa de transporte prevé entregarlo a más tardar {estimated_delivery}.",
    "status_in_transit": "Su pedido {order_id} va en camino con {carrier}, número de seguimiento {tracking_number}. "
                         "El último escaneo fue \"{last_event}\"{last_location} {last_event_date}, y se espera a más "
                         "tardar {estimated_delivery}.",
    "status_out_for_delivery": "Buenas noticias: su pedido {order_id} está hoy en reparto con {carrier} (seguimiento "
                               "{tracking_number}).",
    "status_delayed": "Lamento que su pedido {order_id} venga con retraso. {carrier} informa: \"{last_event}\" "
                      "{last_event_date}. La nueva fecha estimada de entrega es {estimated_delivery} (seguimiento "
                      "{tracking_number}). Si no ha llegado para entonces, escríbanos y le enviaremos un reemplazo o "
                      "le devolveremos su dinero.",
    "status_lost": "Lo siento: el seguimiento de su pedido {order_id} ({carrier} {tracking_number}) no se ha movido "
                   "desde {last_event_date}, y la empresa de transporte declaró el paquete perdido, así que no "
                   "llegará.{refund_line} Una persona de nuestro equipo ya está gestionando {remedy} para usted.",
    "status_lost_refunded": "Lo siento: la empresa de transporte declaró perdido el paquete de su pedido {order_id} "
                            "({carrier} {tracking_number}), así que no llegará. Ya le reembolsamos ${amount} a su "
                            "método de pago original {issued_date}.{expected_line}",
    "status_delivered": "{carrier} indica que su pedido {order_id} se entregó {delivered_date} ({delivery_place}), "
                        "seguimiento {tracking_number}.",
    "delivered_not_received": "Lamento que su paquete no haya aparecido. {carrier} marcó el pedido {order_id} como "
                              "entregado {delivered_date} ({delivery_place}), seguimiento {tracking_number}. A veces "
                              "los paquetes marcados como entregados llegan un día después o quedan con un vecino, "
                              "así que le pido que revise {checks}. {guidance}Si aún no aparece {wait_hours} horas "
                              "después del escaneo de entrega, responda aquí y abriremos un reclamo con la empresa de "
                              "transporte y le enviaremos un reemplazo (si el artículo está disponible) o un "
                              "reembolso completo. No necesita presentar nada ante la empresa de "
                              "transporte.{marketplace_line}",
    "status_delivered_help": "{carrier} indica que su pedido {order_id} se entregó {delivered_date} "
                             "({delivery_place}), seguimiento {tracking_number}. Si no lo encuentra, le pido que "
                             "revise {checks}; a veces los paquetes marcados como entregados llegan un día después. "
                             "Si aún no aparece {wait_hours} horas después del escaneo de entrega, responda aquí y "
                             "abriremos un reclamo con la empresa de transporte y le enviaremos un reemplazo (si el "
                             "artículo está disponible) o un reembolso completo.{marketplace_line}",
    "delivered_not_received_claim": "Lamento que su paquete no haya aparecido. {carrier} marcó el pedido {order_id} "
                                    "como entregado {delivered_date} ({delivery_place}), seguimiento "
                                    "{tracking_number}, y ya pasaron más de {wait_hours} horas desde ese escaneo. Una "
                                    "persona de nuestro equipo está abriendo un reclamo con la empresa de transporte "
                                    "y le gestionará un reemplazo (si el artículo está disponible) o un reembolso "
                                    "completo. No necesita presentar nada ante la empresa de transporte. Si el "
                                    "paquete aparece mientras tanto, por favor avísenos.{marketplace_line}",
    "delivered_elsewhere": "{sorry_line}{carrier} marcó el pedido {order_id} como entregado {delivered_date} "
                           "(seguimiento {tracking_number}), pero ese escaneo de entrega se registró en "
                           "{scan_place}, no en {ship_place}, adonde iba el pedido. Parece que lo dejaron en una "
                           "dirección equivocada, así "
                           "que no hace falta esperar: una persona de nuestro equipo está abriendo un reclamo con "
                           "{carrier} ahora y le gestionará un reemplazo (si el artículo está disponible) o un "
                           "reembolso completo. No necesita presentar nada ante la empresa de "
                           "transporte.{marketplace_line}",
    "status_stalled_late": "Lamento que su pedido {order_id} venga con retraso{due_line}. El último escaneo de "
                           "{carrier} (seguimiento {tracking_number}) fue \"{last_event}\"{last_location} "
                           "{last_event_date}, y la fecha estimada de entrega de la empresa de transporte ya pasó. "
                           "Una persona de nuestro equipo lo está revisando ahora. Si no hay un nuevo escaneo "
                           "{trace_days} días después del último, abrimos una búsqueda con la empresa de transporte, "
                           "y si el paquete se perdió le enviamos un reemplazo o un reembolso completo.",
    "status_stalled_trace": "Lamento que su pedido {order_id} venga con retraso{due_line}. {carrier} no lo ha "
                            "escaneado desde \"{last_event}\"{last_location} {last_event_date} (seguimiento "
                            "{tracking_number}). Después de {trace_days} días sin escaneos abrimos una búsqueda con "
                            "la empresa de transporte, así que una persona de nuestro equipo está abriendo una con "
                            "{carrier} ahora. Si todavía no se ha movido {lost_days} días después de ese último "
                            "escaneo, le enviaremos un reemplazo (si el artículo está disponible) o un reembolso "
                            "completo, lo que usted prefiera.",
    "status_stalled_marketplace": "Lamento que su pedido {order_id} venga con retraso{due_line}. {carrier} no lo ha "
                                  "escaneado desde \"{last_event}\"{last_location} {last_event_date} (seguimiento "
                                  "{tracking_number}). Como {marketplace} envió este pedido, {marketplace} lo rastrea "
                                  "con la empresa de transporte y se encarga si el paquete se pierde; también puede "
                                  "reportarlo en su cuenta de {marketplace}. Una persona de nuestro equipo le está "
                                  "dando seguimiento ahora.",
    "status_cancelled": "Su pedido {order_id} fue cancelado{cancelled_on}.{refund_line}",
    "status_returned": "Su pedido {order_id} fue devuelto y reembolsado.{refund_line}",
    "which_order": "Con gusto lo reviso. ¿A qué pedido se refiere: {order_list}? Responda con el producto o el número "
                   "de pedido y lo busco.",
    "no_orders": "Todavía no encuentro pedidos en su cuenta. ¿Me podría enviar el número de pedido? Aparece en la "
                 "confirmación de su pedido.",
    "order_not_found": "No encontré el pedido {requested} en su cuenta. ¿Podría verificar el número de pedido? "
                       "Aparece en la confirmación de su pedido.",
    # returns
    "return_offer": "{timing_lead}Su {item} del pedido {order_id} se puede devolver hasta {window_ends}"
                    "{window_terms}. {holiday_line}{shipping_line}{fee_line}Hacemos el reembolso dentro de los {refund_days} días {refund_day_kind} "
                    "siguientes a recibirlo. ¿Quiere que inicie la devolución? Responda \"sí\" y la preparo.",
    "return_in_marketplace": "{timing_lead}Su {item} del pedido {order_id} se puede devolver hasta {window_ends}"
                             "{window_terms}. {holiday_line}{how_to_start} "
                             "{shipping_line}{fee_line}Hacemos el reembolso dentro de los {refund_days} días "
                             "{refund_day_kind} siguientes a recibirlo.",
    "return_started": "Su devolución del pedido {order_id} está lista (devolución {return_id}). El número de "
                      "seguimiento de la etiqueta de {label_carrier} es {label_tracking}. "
                      "{shipping_line}{fee_line}Hacemos el reembolso dentro de los {refund_days} días "
                      "{refund_day_kind} siguientes a recibir el artículo.",
    "return_exchange_marketplace": "No podemos hacer cambios directamente en {platform_name}. Para cambiarlo por "
                                   "{wanted}, devuelva este para recibir un reembolso y haga un pedido nuevo; si hace "
                                   "el pedido nuevo primero, lo asegura mientras la devolución va en camino. Su "
                                   "{item} del pedido {order_id} se puede devolver hasta {window_ends}. "
                                   "{how_to_start} {shipping_line}{fee_line}Hacemos el reembolso dentro de los "
                                   "{refund_days} días {refund_day_kind} siguientes a recibirlo.",
    "return_exchange_offer": "Sí, podemos cambiar su {item} del pedido {order_id} por otro tamaño o color del mismo "
                             "producto, siempre que el cambio empiece a más tardar {window_ends}. {variant_line}Una "
                             "persona de nuestro equipo revisará la disponibilidad y le enviará una etiqueta de "
                             "devolución, y el nuevo se envía en cuanto la devolución tenga su primer escaneo de la "
                             "empresa de transporte. {exchange_shipping_line}Si prefiere un reembolso, puede "
                             "devolverlo en su lugar. {shipping_line}{fee_line}Hacemos el reembolso dentro de los "
                             "{refund_days} días {refund_day_kind} siguientes a recibirlo.",
    "return_window_closed": "Lo siento: nuestro {window_name} del pedido {order_id} terminó {window_ends}, así que "
                            "no puedo abrir una devolución.{warranty_line}",
    "return_not_delivered": "Su pedido {order_id} todavía no se ha entregado, así que la devolución no puede empezar "
                            "hasta que llegue. Una vez entregado, tendrá hasta {window_note} para devolverlo.",
    "return_not_shipped": "Su pedido {order_id} todavía no se ha enviado, así que no hay nada que devolver. Si no lo "
                          "quiere, puedo cancelarlo. Solo responda \"cancelar\".",
    "return_exists": "Ya hay una devolución abierta para el pedido {order_id} (devolución {return_id}, estado: "
                     "{return_status}).",
    "return_already_back": "El pedido {order_id} ya fue devuelto (devolución {return_id}).{back_line}{refunded_line}",
    "return_cancelled_order": "El pedido {order_id} fue cancelado, así que no hay nada que devolver.",
    "which_item": "¿Qué artículo del pedido {order_id} desea devolver: {item_list}?",
    # damaged, defective or wrong item (KB returns-damaged-defective)
    "damage_offer": "Lamento que su {item} del pedido {order_id} {problem}. Vamos a solucionarlo con un reembolso "
                    "completo, y el envío de la devolución corre por nuestra cuenta. {replacement_line}Puedo iniciar "
                    "la devolución ahora mismo con una etiqueta prepagada. ¿Quiere que prepare la devolución? Responda "
                    "\"sí\" para confirmar. {photo_line}",
    "damage_in_marketplace": "Lamento que su {item} del pedido {order_id} {problem}. Puede devolverlo para recibir "
                             "un reembolso completo hasta {window_ends}, y el envío de la devolución corre por nuestra "
                             "cuenta. {how_to_start} Elija el motivo que corresponda (artículo dañado, defectuoso o "
                             "equivocado). Hacemos el reembolso dentro de los {refund_days} días {refund_day_kind} "
                             "siguientes a recibirlo. {replacement_line}{photo_line}",
    "damage_window_closed": "Lamento que su {item} del pedido {order_id} {problem}. El plazo de devolución terminó "
                            "{window_ends}, así que una persona de nuestro equipo revisará las opciones de garantía "
                            "para usted.{warranty_line}{claim_line}",
    # refunds
    "refund_issued": "{received_line}Emitimos un reembolso de ${amount} para el pedido {order_id} {issued_date}."
                     "{reason_line} Los bancos suelen reflejarlo en un plazo de {posting_days} días hábiles, así que "
                     "debería verlo a más tardar {expected_by}.",
    "refund_issued_posted": "{received_line}Emitimos un reembolso de ${amount} para el pedido {order_id} "
                            "{issued_date}.{reason_line} Los bancos suelen reflejarlo en un plazo de {posting_days} "
                            "días hábiles, así que debió llegar a su método de pago original a más tardar "
                            "{expected_by}. Si no lo ve ahí, responda aquí y una persona de nuestro equipo lo "
                            "revisará.",
    "refund_overdue": "Lo siento: recibimos su devolución {return_id} del pedido {order_id} {received_date}, y su "
                      "reembolso debía emitirse a más tardar {due_date}, así que está atrasado. Una persona de "
                      "nuestro equipo se está asegurando de que se emita ahora. Una vez emitido, los bancos suelen "
                      "reflejarlo en un plazo de {posting_days} días hábiles.",
    "refund_difference": "Usted pagó ${paid} por el pedido {order_id}, y le reembolsamos {refunds}. {explanation}",
    "refund_full": "Usted pagó ${paid} por el pedido {order_id}, y le reembolsamos {refunds}, que es el monto total "
                   "que pagó.",
    "refund_pending_return": "Estado de su devolución del pedido {order_id}: {return_status}. {return_line}",
    "refund_done": "Le reembolsamos ${amount} del pedido {order_id} a su método de pago original. Debería recibirlo a "
                   "más tardar {expected_by}.",
    "refund_cancelled_uncharged": "El pedido {order_id} se canceló {cancelled_date}, antes de enviarse, así que nunca "
                                  "se le cobró: {platform_name} cobra la tarjeta solo cuando un pedido se envía. Si ve "
                                  "una autorización pendiente por ${total}, no es un cobro, y su banco la libera según "
                                  "sus propios plazos.",
    "refund_cancelled_missing": "Lo siento: el pedido {order_id} se canceló {cancelled_date}, y todavía no veo su "
                                "reembolso registrado. Una persona de nuestro equipo lo está revisando ahora y se "
                                "asegurará de que se emita su reembolso.",
    "refund_none": "Todavía no veo un reembolso ni una devolución en el pedido {order_id}. Si desea devolver algo, "
                   "dígame qué artículo y reviso sus opciones.",
    "refund_what_for": "El reembolso de ${amount} es de su pedido {order_id} ({items}): es {customer_reason}. Lo "
                       "emitimos {issued_date}, y {bank_line}",
    "refund_what_for_unknown": "Emitimos un reembolso de ${amount} para su pedido {order_id} ({items}) {issued_date}. "
                               "Quiero darle el motivo exacto en lugar de suponerlo, así que una persona de nuestro "
                               "equipo está revisando el registro y se lo explicará aquí.",
    "refund_no_record": "Revisé su cuenta y no veo ningún reembolso ni devolución en {scope}. Esto es lo que revisé: "
                        "{checked_orders}. ¿Nos envió algo de regreso, o alguien le dijo que un reembolso venía en "
                        "camino? Avíseme, y una persona de nuestro equipo lo revisará con usted.",
    "refund_each_order": "Así está cada uno de estos pedidos: {checked_orders}.",
    # cancellations
    "cancel_offer": "El pedido {order_id}{order_items} todavía no se ha enviado, así que puedo cancelarlo. {charge_line}¿Quiere "
                    "que lo cancele? Responda \"sí\" para confirmar.",
    "cancel_done": "Listo: el pedido {order_id} está cancelado. {refund_line}",
    "cancel_too_late": "Lo siento: el pedido {order_id}{order_items} ya se envió ({carrier}, seguimiento "
                       "{tracking_number}), así que ya no se puede cancelar. Cuando llegue, puede devolverlo hasta "
                       "{window_note}.{return_route}",
    "cancel_delivered": "El pedido {order_id}{order_items} ya se entregó {delivered_date}, así que no se puede "
                        "cancelar, pero puede devolverlo hasta {window_ends}.{return_route} ¿Quiere que revise la devolución por usted?",
    "cancel_already": "El pedido {order_id} ya está cancelado.{refund_line}",
    # address changes
    "address_amend_offer": "El pedido {order_id} todavía no se ha enviado, así que puedo {correction}. Entonces se "
                           "enviaría a {new_address}. ¿Quiere que lo actualice? Responda \"sí\" para confirmar.",
    "address_ask_unit": "El pedido {order_id} todavía no se ha enviado, así que puedo agregarlo. Responda con el número "
                        "de apartamento, suite o unidad, con \"Apt\", \"Suite\" o \"Unit\" delante.",
    "address_cancel_offer": "{platform_name} no permite que los vendedores cambien la dirección de envío de un pedido, "
                            "así que no puedo modificarla en el pedido {order_id}. Todavía no se ha enviado, así que "
                            "puedo cancelarlo ahora y usted puede volver a comprarlo con la dirección correcta. "
                            "{charge_line}¿Quiere que lo cancele? Responda \"sí\" para confirmar.",
    # general
    "action_declined": "Entendido, no haré ningún cambio en el pedido {order_id}. ¿Hay algo más en lo que pueda "
                       "ayudarle?",
}


# ---------------------------------------------------------------- slots: from the plans' English to Spanish

_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
_EN_DATE = re.compile(rf"({'|'.join(_EN_WEEKDAYS)}), ({'|'.join(_EN_MONTHS)}) (\d{{1,2}})")


def _date(value: str) -> str:
    """An English `format_date` ('Tuesday, November 24') as Spanish with its article ('el martes, 24 de
    noviembre'); its 'soon' (no date known) as 'pronto'."""
    if value == "soon":
        return "pronto"
    m = _EN_DATE.fullmatch(value.strip())
    if not m:
        raise NoSpanish(f"no Spanish wording for the date {value!r}")
    weekday, month = _EN_WEEKDAYS.index(m.group(1)), _EN_MONTHS.index(m.group(2))
    return f"el {WEEKDAYS[weekday]}, {int(m.group(3))} de {MONTHS[month]}"


def _table(table: dict[str, str], *, others_as_is: bool = False) -> Callable[[str], str]:
    """A closed set of values (looked up without case); `others_as_is`: names outside it (a carrier, a
    marketplace) read the same in Spanish."""
    lowered = {k.lower(): v for k, v in table.items()}

    def translate(value: str) -> str:
        if value.lower() in lowered:
            return lowered[value.lower()]
        if others_as_is:
            return value
        raise NoSpanish(f"no Spanish wording for {value!r}")
    return translate


def _same(value: str) -> str:
    return value


_PLACES = _table({"front door": "la puerta principal", "porch": "el porche", "mailbox": "el buzón",
                  "parcel locker": "el casillero de paquetes", "garage": "el garaje", "mail room": "la sala de correo",
                  "mailroom": "la sala de correo", "po box": "el apartado postal",
                  "military post office": "la oficina postal militar"})
_RETURN_STATUS = _table({"requested": "solicitada", "approved": "aprobada", "in transit": "en camino",
                         "received": "recibida", "refunded": "reembolsada", "rejected": "rechazada",
                         "closed": "cerrada", "open": "abierta"})


def _items(value: str) -> str:
    """'Skillet and Lid' (the plan joins an order's first two product names with 'and')."""
    return " y ".join(value.split(" and "))


# A phrase group's kind comes from its name: dates, where a parcel was left, product names; the rest as is.
_GROUPS: dict[str, Callable[[str], str]] = {"date": _date, "place": _PLACES, "items": _items}


@dataclass(frozen=True)
class Phrase:
    """A sentence a plan writes into a slot, as its English pattern ('{name}' marks a value) and Spanish form."""

    english: str
    spanish: str

    def pattern(self) -> re.Pattern[str]:
        regex, seen = [], set()
        for i, part in enumerate(re.split(r"\{(\w+)\}", self.english)):
            if i % 2 == 0:
                regex.append(re.escape(part))
            else:  # a value said twice ("{name} shipped ... your {name} account") is the same value
                regex.append(f"(?P={part})" if part in seen else f"(?P<{part}>.+?)")
                seen.add(part)
        return re.compile("".join(regex), re.S)

    def translate(self, value: str) -> str | None:
        m = self.pattern().fullmatch(value)
        if m is None:
            return None
        try:
            return self.spanish.format(**{k: _GROUPS.get(re.sub(r"\d+$", "", k), _same)(v)
                                          for k, v in m.groupdict().items()})
        except NoSpanish:
            return None  # the pattern matched, but a value in it is not what the plan writes there


def _phrases(*pairs: tuple[str, str], listed: tuple[str, str] | None = None) -> Callable[[str], str]:
    """Slot values written by a plan: empty, one of the phrases, or (`listed`: English and Spanish joiners) a
    list of them."""
    known = [Phrase(en, es) for en, es in pairs]

    def one(value: str) -> str | None:
        return next((t for p in known if (t := p.translate(value)) is not None), None)

    def translate(value: str) -> str:
        if value == "":
            return ""
        if (done := one(value)) is not None:
            return done
        if listed is not None:
            parts = [one(part) for part in value.split(listed[0])]
            if all(p is not None for p in parts):
                return listed[1].join(parts)  # type: ignore[arg-type]
        raise NoSpanish(f"no Spanish wording for {value!r}")
    return translate


def _sentences(*pairs: tuple[str, str]) -> Callable[[str], str]:
    """Slot values a plan builds from several sentences, each one of the phrases."""
    one = _phrases(*pairs)

    def translate(value: str) -> str:
        return " ".join(one(sentence) for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", value.strip()))
    return translate


# the parts of an address correction (agent.address_amend.Amendment.describe), each said on its own: a phrase
# list would read "include {unit}" as running to the end of the value
_CORRECTION = _phrases(("update its address to include {unit}", "actualizar su dirección para incluir {unit}"),
                       ("correct its street address to {line}", "corregir su dirección a {line}"),
                       ("correct its ZIP code to {zip}", "corregir su código postal a {zip}"))
_SCANS = _phrases(
    ("Shipping label created, carrier awaiting item", "Etiqueta de envío creada, en espera del paquete"),
    ("Accepted at origin facility", "Recibido en el centro de origen"),
    ("In transit to next facility", "En tránsito hacia el siguiente centro"),
    ("in transit", "en tránsito"),
    ("Out for delivery", "En reparto"),
    ("Weather delay: severe weather has delayed delivery", "Retraso por clima: el mal tiempo retrasó la entrega"),
    ("Delay: package missed its scheduled transfer at the facility",
     "Retraso: el paquete no alcanzó su traslado programado en el centro"),
    ("Exception: address information needed; carrier is attempting to correct",
     "Excepción: se necesita información de la dirección; la empresa de transporte está intentando corregirla"),
    ("Delay: high package volume in your area", "Retraso: alto volumen de paquetes en su zona"),
    ("Exception: package damaged in transit, repackaged at facility",
     "Excepción: paquete dañado en tránsito, reempacado en el centro"),
    ("No scan in {days} days: carrier has opened a package trace",
     "Sin escaneos en {days} días: la empresa de transporte abrió una búsqueda del paquete"),
    ("Package could not be located; declared lost by carrier",
     "No se pudo localizar el paquete; la empresa de transporte lo declaró perdido"),
    ("Delivered, {place}", "Entregado en {place}"),
)

# Where to look for a parcel marked delivered (the plan lists the KB's spots, the carrier's first).
_SPOTS = _phrases(("the property", "la propiedad"), ("the rest of the property", "el resto de la propiedad"),
                  ("the mailbox or parcel locker", "el buzón o el casillero de paquetes"),
                  ("your building's mailroom or front desk", "la sala de correo o la recepción de su edificio"),
                  listed=(", ", ", "))
# What a return was for, and why a restocking fee does not apply (the plans' words for return reasons).
_KINDS = _table({"changed-mind": "por cambio de opinión", "no-longer-needed": "porque ya no lo necesitaba",
                 "damaged-item": "por artículo dañado", "defective-item": "por artículo defectuoso",
                 "wrong-item": "por artículo equivocado", "not-as-described": "por no ser como se describía",
                 "late-delivery": "por entrega tardía"})
_BECAUSE = _table({"the item arrived damaged": "el artículo llegó dañado", "the item is defective":
                   "el artículo está defectuoso", "we sent the wrong item": "le enviamos el artículo equivocado",
                   "the item isn't as described": "el artículo no es como se describía",
                   "your order arrived late": "su pedido llegó tarde"})
_STOCK = _phrases(("in stock", "disponible"), ("out of stock, expected back {date}", "agotado, de vuelta {date}"),
                  ("out of stock", "agotado"))
_TERMS = (  # what the policy deducts from a return's refund, said after the amounts
    ("It was a {kind} return, so our {pct}% restocking fee applies to it.",
     "Fue una devolución {kind}, así que se aplica nuestro cargo de reposición del {pct}%."),
    ("It was a {kind} return, so no restocking fee applies to it.",
     "Fue una devolución {kind}, así que no se aplica ningún cargo de reposición."),
    ("Return {return_id} was a {kind} return, so our {pct}% restocking fee applies to it.",
     "La devolución {return_id} fue una devolución {kind}, así que se aplica nuestro cargo de reposición del {pct}%."),
    ("Return {return_id} was a {kind} return, so no restocking fee applies to it.",
     "La devolución {return_id} fue una devolución {kind}, así que no se aplica ningún cargo de reposición."),
    ("Return shipping for it was on us.", "El envío de esa devolución corrió por nuestra cuenta."),
    ("Return shipping for a {kind} return is paid by you.", "El envío de una devolución {kind} corre por su cuenta."),
)
_GROUPS.update({"daykind": _table({"business": "hábiles", "calendar": "calendario"}), "spots": _SPOTS, "kind": _KINDS, "because": _BECAUSE, "stock": _STOCK,
                "listed": _phrases(("{title} (${price}, {stock})", "{title} (${price}, {stock})"),
                                   listed=("; ", "; ")),
                "back": _phrases((" and expected back {date}", " y se espera de vuelta {date}")),
                "settle": _table({"so we'd collect the difference": "así que le cobraríamos la diferencia",
                                  "so we'd refund you the difference": "así que le reembolsaríamos la diferencia",
                                  "so there's no difference to pay": "así que no hay ninguna diferencia que pagar"})})


def _warranty(value: str) -> str:
    """A product's written warranty as the catalog lexicon words it ('a limited 2-year warranty', 'a limited
    lifetime warranty', agent/data/product_attributes.yaml): its kind and its length."""
    m = re.fullmatch(r"an? (limited|full) (?:(lifetime)|(\d+)-year) warranty", value.strip())
    if m is None:
        raise NoSpanish(f"no Spanish wording for the warranty {value!r}")
    kind = {"limited": "limitada", "full": "completa"}[m.group(1)]
    years = int(m.group(3) or 0)
    length = "de por vida" if m.group(2) else f"de {years} año{'' if years == 1 else 's'}"
    return f"una garantía {kind} {length}"


_GROUPS.update({
    # who arranges a replacement: the customer's word on our store, a person on a marketplace (plans._replacement_line)
    "ask": _table({"just say so": "solo dígamelo",
                   "tell me here and a member of our team will arrange it":
                       "dígamelo aquí y una persona de nuestro equipo lo gestionará"}),
    "restock": _phrases((", expected back {date}", ", y esperamos tenerlo de nuevo {date}")),
    "warranty": _warranty,
    # what a warranty claim needs (seller.toml warranty.claim_needs), each part with its article
    "needs": _phrases(("order number", "el número de pedido"),
                      ("a photo or short video of the problem", "una foto o un video corto del problema"),
                      listed=(" and ", " y ")),
})
# What a refund was for, in the customer's words (agent/refund_reasons.py holds both languages).
_REASONS = _phrases(*refund_reasons.phrase_pairs())
_GROUPS["reason"] = _REASONS

# the marketplaces' own return steps (the policy files' how_to_start): their menu names stay as the app shows them
_HOW_TO_START = _table({
    "Start it in your Amazon account: Your Orders, choose the order, then Return or Replace Items.":
        "Iníciela en su cuenta de Amazon: \"Your Orders\", elija el pedido y luego \"Return or Replace Items\".",
    "Start it at Walmart.com or in the Walmart app: Account, Purchase history, choose the order, then Start a "
    "return.":
        "Iníciela en Walmart.com o en la app de Walmart: \"Account\", \"Purchase history\", elija el pedido y "
        "luego \"Start a return\".",
    "Start it in the TikTok app: Profile, Orders, choose the order, then Return/refund.":
        "Iníciela en la app de TikTok: \"Profile\", \"Orders\", elija el pedido y luego \"Return/refund\".",
    "Start it in My eBay: Purchases, choose the item, then Return this item.":
        "Iníciela en My eBay: \"Purchases\", elija el artículo y luego \"Return this item\".",
})


def _return_route(value: str) -> str:
    """' Start it in ...' (a marketplace's own return flow) in Spanish; empty where the seller starts returns."""
    return f" {_HOW_TO_START(value.strip())}" if value.strip() else ""


# What each slot of the Spanish templates holds and how it reads in Spanish. A slot not listed here has no
# Spanish form: a template that shows it cannot go out in Spanish.
SLOTS: dict[str, Callable[[str], str]] = {
    **dict.fromkeys(("order_id", "requested", "return_id", "label_carrier", "label_tracking", "service", "amount",
                     "refund_days", "posting_days", "item", "item_list", "wait_hours", "trace_days", "lost_days",
                     "marketplace", "paid"), _same),
    **dict.fromkeys(("ship_by", "deliver_by", "estimated_delivery", "last_event_date", "delivered_date",
                     "issued_date", "expected_by", "window_ends", "received_date", "due_date", "cancelled_date"),
                  _date),
    "total": _same,
    "count": _same,
    "parcel_list": _phrases(
        ("the {items} with {carrier}, tracking {tracking}, delivered on {date} (left at: {place})",
         "{items} con {carrier}, seguimiento {tracking}, entregado {date} (dejado en {place})"),
        ("the {items} with {carrier}, tracking {tracking}, delivered on {date}",
         "{items} con {carrier}, seguimiento {tracking}, entregado {date}"),
        ("the {items} with {carrier}, tracking {tracking}, on its way, expected by {date}",
         "{items} con {carrier}, seguimiento {tracking}, en camino, se espera a más tardar {date}"),
        listed=("; ", "; ")),
    "window_terms": _phrases((", the end of our {days}-day return window",
                              ", el final de nuestro plazo de devolución de {days} días"),
                             (", under our holiday return extension",
                              ", gracias a nuestra extensión de devoluciones por las fiestas")),
    "timing_lead": _phrases(("Yes, there's still time then. ", "Sí, para entonces todavía hay tiempo. "),
                            ("No, that's after the return window ends. ",
                             "No, para entonces el plazo de devolución ya habrá terminado. "),
                            ("Yes, if you start the return by {date}. ",
                             "Sí, si inicia la devolución a más tardar {date}. ")),
    "holiday_line": _phrases(("No holiday extension applies to this order. ",
                              "A este pedido no se le aplica la extensión de devoluciones por las fiestas. ")),
    "window_name": _phrases(("{days}-day return window", "plazo de devolución de {days} días"),
                            ("holiday return window", "plazo de devolución extendido por las fiestas"),
                            ("return window", "plazo de devolución")),
    "back_line": _phrases((" We received it on {date}.", " La recibimos {date}.")),
    "refunded_line": _phrases((" We refunded ${amount} for it on {date}.", " Le reembolsamos ${amount} por ella {date}."),
                              (" We refunded ${amount} for it on {date}, and banks usually post a refund within {days} "
                               "business days, so you should see it on your original payment method by {date2}.",
                               " Le reembolsamos ${amount} por ella {date}, y los bancos suelen reflejar un reembolso en "
                               "un plazo de {days} días hábiles, así que debería verlo en su método de pago original a "
                               "más tardar {date2}.")),
    "received_line": _phrases(("We received your return {return_id} on {date}. ",
                               "Recibimos su devolución {return_id} {date}. ")),
    "platform_name": _table({"Shopify store": "nuestra tienda en línea"}, others_as_is=True),
    **dict.fromkeys(("scan_place", "ship_place", "new_address"), _same),  # places and addresses as written
    "sorry_line": _phrases(("I'm sorry your package hasn't turned up. ", "Lamento que su paquete no haya aparecido. ")),
    "correction": lambda value: " y ".join(_CORRECTION(part) for part in value.split(" and ")),
    "carrier": _table({"the carrier": "la empresa de transporte"}, others_as_is=True),
    "tracking_number": _table({"in your order details": "en los detalles de su pedido"}, others_as_is=True),
    "refund_day_kind": _table({"business": "hábiles", "calendar": "calendario"}),
    "return_status": _RETURN_STATUS,
    "last_event": _SCANS,
    "last_location": _phrases((" in {location}", " en {location}")),
    "delivery_place": _phrases(("left at: {place}, {town}", "dejado en {place}, {town}"),
                               ("left at: {place}", "dejado en {place}"), ("delivered", "entregado")),
    "guidance": _phrases(("Most turn up within {hours} hours. ", "La mayoría aparece en un plazo de {hours} horas. ")),
    "cancelled_on": _phrases((" on {date}", " {date}")),
    "refund_line": _phrases(
        (" A refund of ${amount} was issued on {date}.", " Se emitió un reembolso de ${amount} {date}."),
        (" We already refunded ${amount} on {date}.", " Ya le reembolsamos ${amount} {date}."),
        ("A refund of ${amount} is on its way to your original payment method; banks usually post it within {days} "
         "business days.",
         "Un reembolso de ${amount} va en camino a su método de pago original; los bancos suelen reflejarlo en un "
         "plazo de {days} días hábiles."),
        ("You haven't been charged for it.", "No se le cobró nada por este pedido."),
    ),
    "expected_line": _phrases((" It should reach you by {date}.", " Debería recibirlo a más tardar {date}."),
                              (" It should have reached you by {date}.", " Debió llegarle a más tardar {date}.")),
    "checks": _phrases(
        ("the {place} first, then {spots}, and with neighbors and anyone else in your household",
         "primero {place}, luego {spots}, y pregunte a sus vecinos y a cualquier otra persona de su hogar"),
        ("{spots}, and with neighbors and anyone else in your household",
         "{spots}, y pregunte a sus vecinos y a cualquier otra persona de su hogar")),
    "marketplace_line": _phrases((
        " Because {name} shipped this order, you can also report it missing in your {name} account, where {name} can "
        "act on it directly.",
        " Como {name} envió este pedido, también puede reportarlo como perdido en su cuenta de {name}, donde {name} "
        "puede actuar directamente.")),
    "due_line": _phrases((": it was due by {date}", ": debía llegar a más tardar {date}")),
    "refunds": _phrases(("${amount} on {date}", "${amount} {date}"), listed=(" and ", " y ")),
    "explanation": _sentences(
        ("That leaves ${amount} of the order not refunded.", "Quedan ${amount} del pedido sin reembolsar."),
        ("Of what you paid, ${amount} was the shipping charge.", "De lo que pagó, ${amount} fue el cargo de envío."),
        ("A return refund covers the price of the items sent back plus the sales tax paid on them, minus any "
         "restocking fee that applies to a changed-mind return.",
         "El reembolso de una devolución cubre el precio de los artículos devueltos más el impuesto sobre las ventas "
         "que pagó por ellos, menos el cargo de reposición que se aplique a una devolución por cambio de opinión."),
        ("When only some items of an order come back, only those items are refunded.",
         "Cuando solo se devuelven algunos artículos de un pedido, solo se reembolsan esos artículos."),
        ("The refund of ${amount} is for your return {return_id}.",
         "El reembolso de ${amount} corresponde a su devolución {return_id}."),
        ("The refund of ${amount} was {reason}.", "El reembolso de ${amount} fue {reason}."),
        ("For the refund of ${amount}, banks usually post a refund within {days} business days, so you should see it "
         "on your original payment method by {date}.",
         "En cuanto al reembolso de ${amount}, los bancos suelen reflejar un reembolso en un plazo de {days} días "
         "hábiles, así que debería verlo en su método de pago original a más tardar {date}."),
        *_TERMS,
        ("Because that return was our fault, a member of our team will also review the original shipping charge.",
         "Como esa devolución fue por un error nuestro, una persona de nuestro equipo también revisará el cargo de "
         "envío original."),
        ("I don't see a reason recorded for the refund of ${amount}, so a member of our team will check the "
         "difference and explain it here.",
         "No veo un motivo registrado para el reembolso de ${amount}, así que una persona de nuestro equipo revisará "
         "la diferencia y se la explicará aquí."),
    ),
    "wanted": _phrases(("the {title}", "el {title}"), ("another size or color", "otro tamaño o color")),
    "variant_line": _phrases(
        ("This product comes in just one version, so there's no other size or color to swap it for. ",
         "Este producto viene en una sola versión, así que no hay otro tamaño ni color por el cual cambiarlo. "),
        ("It also comes in: {listed}. Tell me which one you'd like. ",
         "También viene en: {listed}. Dígame cuál prefiere. "),
        ("The {title} is out of stock right now{back}; if you'd rather not wait, we can refund you instead. ",
         "El {title} está agotado por ahora{back}; si prefiere no esperar, podemos hacerle un reembolso. "),
        ("The {title} is out of stock right now; if you'd rather not wait, we can refund you instead. ",
         "El {title} está agotado por ahora; si prefiere no esperar, podemos hacerle un reembolso. "),
        ("The {title} is ${price} and in stock; you paid ${paid} for yours, {settle}. ",
         "El {title} cuesta ${price} y está disponible; usted pagó ${paid} por el suyo, {settle}. "),
    ),
    "exchange_shipping_line": _phrases(
        ("Return shipping for the exchange is on us. ", "El envío de la devolución para el cambio corre por nuestra "
                                                        "cuenta. "),
        ("Return shipping for a changed-mind exchange is paid by you. ",
         "El envío de la devolución para un cambio por cambio de opinión corre por su cuenta. "),
    ),
    "remedy": _phrases(("a replacement or a full refund", "un reemplazo o un reembolso completo"),
                       ("a replacement or a refund of the rest of your order",
                        "un reemplazo o el reembolso del resto de su pedido")),
    "order_list": _phrases(("the {items} (order {order_id}, placed {date})",
                            "{items} (pedido {order_id}, realizado {date})"), listed=(" or ", " o ")),
    # refund answers: what a refund was for, no refund on record, several orders at once
    "customer_reason": _REASONS,
    "reason_line": _phrases((" It's {reason}.", " Es {reason}.")),
    "items": _items,
    # cancellations: the order's products beside its number, and where a marketplace's own return starts
    "order_items": _phrases((" (the {items})", " ({items})")),
    "return_route": _return_route,
    "rest_line": _phrases((" The rest of your order can still ship as planned.",
                           " El resto de su pedido puede enviarse como estaba previsto.")),
    "bank_line": _phrases(
        ("banks usually post a refund within {days} business days, so you should see it on your original payment "
         "method by {date}.",
         "los bancos suelen reflejar un reembolso en un plazo de {days} días hábiles, así que debería verlo en su "
         "método de pago original a más tardar {date}."),
        ("banks usually post a refund within {days} business days, so it should have reached your original payment "
         "method by {date}. If you don't see it there, reply here and a member of our team will look into it.",
         "los bancos suelen reflejar un reembolso en un plazo de {days} días hábiles, así que debió llegar a su "
         "método de pago original a más tardar {date}. Si no lo ve ahí, responda aquí y una persona de nuestro "
         "equipo lo revisará."),
        ("banks usually post a refund within {days} business days.",
         "los bancos suelen reflejar un reembolso en un plazo de {days} días hábiles.")),
    "scope": _table({"any of your recent orders": "ninguno de sus pedidos recientes",
                     "your orders from the time you mentioned": "sus pedidos de la fecha que mencionó",
                     "the orders that match your message": "los pedidos que coinciden con su mensaje"}),
    "checked_orders": _phrases(("the {items} (order {order_id}, placed {date})",
                                "{items} (pedido {order_id}, realizado {date})"), listed=("; ", "; ")),
    "shipping_line": _phrases(
        ("Return shipping is free for you. ", "El envío de la devolución es gratis para usted. "),
        ("Return shipping is paid by you (the label cost comes out of the refund). ",
         "El envío de la devolución corre por su cuenta (el costo de la etiqueta se descuenta del reembolso). "),
    ),
    "fee_line": _phrases(
        ("A {pct}% restocking fee applies to changed-mind returns. ",
         "Se aplica un cargo de reposición del {pct}% a las devoluciones por cambio de opinión. "),
        ("A restocking fee of ${amount} will come out of the refund. ",
         "Del reembolso se descontará un cargo de reposición de ${amount}. "),
        ("There's no restocking fee on this return, because {because}. ",
         "Esta devolución no tiene cargo de reposición, porque {because}. "),
        ("There's no restocking fee on this return. ", "Esta devolución no tiene cargo de reposición. "),
    ),
    "warranty_line": _phrases(
        (" If something is wrong with the product itself, our warranty may still cover it; reply with what happened "
         "and we'll check.",
         " Si el problema es del producto en sí, es posible que nuestra garantía lo cubra; responda contándonos qué "
         "pasó y lo revisamos."),
        # a defect after the window: the product's own warranty (plans._warranty_slots, product_answers lexicon)
        (" The {name} comes with {warranty} from Northfork Goods.", " El {name} tiene {warranty} de Northfork Goods."),
        (" The {name} come with {warranty} from Northfork Goods.", " Los {name} tienen {warranty} de Northfork Goods."),
        (" The {name} comes with no warranty (it's a consumable).",
         " El {name} no tiene garantía (es un producto consumible)."),
        (" The {name} come with no warranty (it's a consumable).",
         " Los {name} no tienen garantía (son productos consumibles)."),
    ),
    # damaged, defective or wrong item (plans.plan_return with damage=True)
    "problem": _table({"arrived damaged": "haya llegado con daños", "isn't working properly": "no funcione bien",
                       "wasn't what you ordered": "no sea lo que usted pidió",
                       "isn't right": "no esté como debería"}),
    "replacement_line": _phrases(
        ("If you'd rather have a replacement than a refund, {ask}; we send one when the item is in stock. ",
         "Si prefiere un reemplazo en lugar de un reembolso, {ask}; le enviamos uno cuando el artículo esté "
         "disponible. "),
        ("If you'd rather have a replacement than a refund, {ask}: it's in stock right now. ",
         "Si prefiere un reemplazo en lugar de un reembolso, {ask}: ahora mismo lo tenemos disponible. "),
        ("A replacement would have to wait: this item is out of stock right now{restock}, so a full refund is the "
         "quicker way. ",
         "Un reemplazo tendría que esperar: este artículo está agotado por ahora{restock}, así que un reembolso "
         "completo es la opción más rápida. "),
        ("A replacement would have to wait: this item is out of stock right now, so a full refund is the quicker "
         "way. ",
         "Un reemplazo tendría que esperar: este artículo está agotado por ahora, así que un reembolso completo es "
         "la opción más rápida. "),
    ),
    "photo_line": _phrases(
        ("If you can, reply with a photo or short video of the damage and of the shipping box; it helps us file a "
         "claim with the carrier and spot packing problems, but your replacement or refund doesn't wait on it.",
         "Si puede, responda con una foto o un video corto del daño y de la caja de envío; nos ayuda a abrir un "
         "reclamo con la empresa de transporte y a detectar problemas de empaque, pero su reemplazo o reembolso no "
         "depende de ello."),
        ("If you can, reply with a photo or short video of the problem; it helps us see what went wrong, but your "
         "replacement or refund doesn't wait on it.",
         "Si puede, responda con una foto o un video corto del problema; nos ayuda a ver qué salió mal, pero su "
         "reemplazo o reembolso no depende de ello."),
    ),
    "claim_line": _phrases((" A warranty claim needs the {needs}, so please reply here with them.",
                            " Para un reclamo de garantía necesitamos {needs}, así que por favor respóndanos aquí con "
                            "esa información.")),
    "window_note": _phrases(("{days} days after it's delivered (or until {date}, under our holiday return "
                             "extension, if that is later)",
                             "{days} días después de la entrega (o hasta {date}, gracias a nuestra extensión de "
                             "devoluciones por las fiestas, si esa fecha es posterior)"),
                            ("the end of its return window (or until {date}, under our holiday return extension, if "
                             "that is later)",
                             "el final de su plazo de devolución (o hasta {date}, gracias a nuestra extensión de "
                             "devoluciones por las fiestas, si esa fecha es posterior)"),
                            ("{days} days after it's delivered", "{days} días después de la entrega"),
                            ("{days} days after delivery", "{days} días después de la entrega"),
                            ("the end of its return window", "el final de su plazo de devolución")),
    "return_line": _sentences(
        ("We received it on {date}.", "La recibimos {date}."),
        ("We refund within {days} {daykind} days of receiving it, so the refund is due by {date2}.",
         "Hacemos el reembolso dentro de los {days} días {daykind} siguientes a recibirla, así que debe emitirse a "
         "más tardar {date2}."),
        ("Once it's issued, banks then usually post it within {days} business days.",
         "Una vez emitido, los bancos suelen reflejarlo en un plazo de {days} días hábiles."),
        ("We refund within {days} {daykind} days of receiving it, and banks then usually post it within {days2} "
         "business days.",
         "Hacemos el reembolso dentro de los {days} días {daykind} siguientes a recibirla, y luego los bancos suelen "
         "reflejarlo en un plazo de {days2} días hábiles."),
        ("Once the item is on its way back to us, we refund within {days} {daykind} days of receiving it, and banks "
         "then usually post it within {days2} business days.",
         "Cuando el artículo venga de regreso, hacemos el reembolso dentro de los {days} días {daykind} siguientes a "
         "recibirlo, y luego los bancos suelen reflejarlo en un plazo de {days2} días hábiles."),
        *_TERMS,
        ("We haven't received it yet; you can follow it with return tracking {tracking}.",
         "Todavía no la hemos recibido; puede seguirla con el número de seguimiento de la devolución {tracking}."),
        ("We refund as soon as it arrives and is checked.", "Hacemos el reembolso en cuanto llegue y la revisemos."),
        ("Once the item is on its way back to us, the refund follows when it arrives.",
         "Una vez que el artículo venga de regreso, hacemos el reembolso cuando llegue."),
    ),
    "charge_line": _phrases(
        ("You'll get a full refund of ${amount} to your original payment method. ",
         "Recibirá un reembolso completo de ${amount} a su método de pago original. "),
        ("You haven't been charged yet, so there's nothing to refund. ",
         "Todavía no se le ha cobrado, así que no hay nada que reembolsar. "),
    ),
    "how_to_start": _HOW_TO_START,
}


def slot_names(template: str) -> set[str]:
    """The slots a template shows."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def body(key: str, slots: dict[str, Any]) -> str:
    """The Spanish twin of template `key` filled in, every slot it shows put into Spanish."""
    template = TEMPLATES.get(key)
    if template is None:
        raise NoSpanish(f"the reply {key!r} has no Spanish wording")
    values: dict[str, str] = {}
    for name in slot_names(template):
        if name not in SLOTS:
            raise NoSpanish(f"the reply {key!r} shows {name!r}, which has no Spanish wording")
        if name not in slots:
            raise NoSpanish(f"the reply {key!r} lacks its {name!r}")
        try:
            values[name] = SLOTS[name](str(slots[name]))
        except NoSpanish as exc:
            raise NoSpanish(f"the reply {key!r}: {exc}") from None
    return template.format(**values)


READ_FROM_ENGLISH = frozenset({"fee_line", "shipping_line", "exchange_shipping_line", "problem", "photo_line"})
"""Slots whose value follows from what a plan reads in the message with English word lists: the return reason
("arrived broken", "wrong item", "changed my mind") decides the restocking fee, who pays return shipping and the
window, and for a damaged item the fault the reply names and the photo it asks for. The plans do not read Spanish
words ("llegó roto" reads as no fault at all), so a Spanish reply stating them is checked by a person first."""


def read_from_english(key: str, extra: Iterable[dict[str, Any]] | None = None) -> list[str]:
    """The parts of a reply (template keys) that state slots the plan read from English words."""
    keys = [key, *(part["template"] for part in extra or [])]
    return sorted({k for k in keys if slot_names(TEMPLATES.get(k, "")) & READ_FROM_ENGLISH})


def split_extra(extra: Iterable[dict[str, Any]] | None) -> tuple[list[dict[str, Any]], list[str]]:
    """The further answers (`outcome.extra`) that can be said in Spanish, and why each other one cannot."""
    kept: list[dict[str, Any]] = []
    missing: list[str] = []
    for part in extra or []:
        try:
            body(part["template"], part.get("slots", {}))
        except NoSpanish as exc:
            missing.append(str(exc))
            continue
        kept.append(part)
    return kept, missing

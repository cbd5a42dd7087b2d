"""Drives nemesisd the way XAPI's example scripts do, with the underscore
spellings Python needs; prints what it saw as JSON for the test to check."""
import json
import sys

from xenapi_session import Failure, Session


def failure_of(call, *params):
    try:
        call(*params)
    except Failure as failure:
        return failure.details
    return None


def main(url):
    session = Session(url)
    x = session.xenapi
    seen = {'session': x.login_with_password('root', '', '1.0', 'nemesis-test')}
    guest = x.VM_create({'name_label': 'guest', 'VCPUs_max': '2', 'VCPUs_at_startup': '2'})
    stubdom = x.VM.create({'name_label': 'stubdom'})
    x.VM_start(guest, False, False)
    x.Async_VM_start(stubdom, True, False)
    x.VM_set_scheduling_domain(stubdom, guest)
    x.VM_add_to_VCPUs_params(guest, 'weight', '512')
    everything = x.event_from(['vm'], '', 30.0)
    x.VM_set_name_label(stubdom, 'stubdom-1')
    changes = x.event_from(['vm'], everything['token'], 5.0)
    host = x.host_get_all()[0]
    seen.update({
        'refs': {'guest': guest, 'stubdom': stubdom},
        'initial_events': sorted((e['operation'], e['ref']) for e in everything['events']),
        'changes': [(e['operation'], e['ref'], e['snapshot']['name_label']) for e in changes['events']],
        'vm_getters': {
            name: getattr(x, 'VM_get_' + name)(guest)
            for name in ('name_description', 'allowed_operations', 'current_operations', 'consoles', 'VIFs', 'VBDs', 'VCPUs_params', 'power_state')
        },
        'stubdom': [x.VM_get_power_state(stubdom), x.VM_get_scheduling_domain(stubdom)],
        'host_getters': {
            name: getattr(x, 'host_get_' + name)(host)
            for name in ('address', 'hostname', 'enabled', 'cpu_info', 'metrics', 'other_config', 'tags', 'name_label')
        },
        'by_uuid': x.VM_get_by_uuid(x.VM_get_uuid(guest)),
        'running_guests': sorted(x.VM_get_all_records_where(
            'field "power_state" = "Running" and not field "is_control_domain" = "true"')),
        'by_name': sorted(x.VM.get_all_records_where('field "name_label" = "guest" or (field "name_label" = "stubdom-1")')),
        'unknown_uuid': failure_of(x.VM_get_by_uuid, '00000000-0000-4000-8000-00000000dead'),
        'unknown_host_uuid': failure_of(x.host_get_by_uuid, '00000000-0000-4000-8000-00000000dead'),
        'bad_expression': failure_of(x.VM_get_all_records_where, 'field "power_state" = '),
        'unknown_field': failure_of(x.VM_get_all_records_where, 'field "colour" = "blue"'),
        'unknown_method': failure_of(x.VM_reboot_into_space, guest),
    })
    print(json.dumps(seen))


if __name__ == '__main__':
    main(sys.argv[1])
